import Foundation
import HTTPTypes
import Testing
import Yams

/// Holds every answer the tests receive to the OpenAPI contract, `openapi.yaml` as it is in
/// the sources (a test checks that the server serves it byte for byte).
///
/// The answer's operation is found by method and path template (`/api/v1/members/{id}`). Its
/// status must be documented for the operation (or by `default`), its Content-Type must be one
/// the response documents (none: an empty body), and a JSON body must match the response's
/// schema. An error's `error.code` must be one of the response's `x-tally-error-codes`. An
/// `/api` path no operation has must be the `UnknownRoute` answer (or a 401, 429 or 503); a path
/// the contract has, sent with a method it has no operation for, the `MethodNotAllowed` answer
/// (or a 401, 429 or 503), whose `Allow` lists exactly the path's methods in the contract. Other
/// paths not in the contract (the consumer pages) are not checked. The answer to a HEAD must have
/// no body.
struct ContractValidator: Sendable {
    /// The contract in the sources, parsed once for the whole test run.
    static let shared: Result<ContractValidator, ContractError> = {
        do {
            return .success(try ContractValidator(yaml: String(contentsOf: sourceURL, encoding: .utf8)))
        } catch {
            return .failure(ContractError(message: "\(sourceURL.path): \(error)"))
        }
    }()

    /// `Sources/TallyServer/Resources/openapi.yaml`, found from this file's place in the package.
    static let sourceURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent() // Support
        .deletingLastPathComponent() // TallyServerTests
        .deletingLastPathComponent() // Tests
        .deletingLastPathComponent()
        .appendingPathComponent("Sources/TallyServer/Resources/openapi.yaml")

    struct ContractError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// One operation of the document.
    struct Operation: Sendable {
        let method: String
        let template: String
        let id: String
        /// The operation's `responses`, by status (`"200"`, `"4XX"`, `"default"`).
        let responses: [String: JSONValue]

        var name: String { "\(method) \(template) (\(id))" }
    }

    let schemas: JSONSchemaChecker
    let operations: [Operation]

    init(yaml: String) throws {
        guard let node = try Yams.compose(yaml: yaml) else { throw ContractError(message: "openapi.yaml is empty") }
        let document = JSONValue(node)
        schemas = JSONSchemaChecker(document: document)
        guard let paths = document["paths"]?.object else { throw ContractError(message: "openapi.yaml has no paths") }
        let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operations: [Operation] = []
        for (template, item) in paths.sorted(by: { $0.key < $1.key }) {
            for method in methods {
                guard let operation = item[method] else { continue }
                operations.append(
                    Operation(
                        method: method.uppercased(), template: template, id: operation["operationId"]?.string ?? "?",
                        responses: operation["responses"]?.object ?? [:]
                    ))
            }
        }
        self.operations = operations
    }

    // MARK: Checking an answer

    /// Records an issue in the running test for each way the answer disagrees with the contract.
    static func expectConforms(
        _ method: HTTPRequest.Method, _ uri: String, status: Int, headers: HTTPFields, body: [UInt8]?,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        switch shared {
        case .failure(let error):
            Issue.record("the contract cannot be read: \(error)", sourceLocation: sourceLocation)
        case .success(let contract):
            let problems = contract.problems(
                method.rawValue, uri, status: status, contentType: headers[.contentType], body: body, allow: headers[.allow])
            if !problems.isEmpty {
                Issue.record(Comment(rawValue: "contract: " + problems.joined(separator: "\n  ")), sourceLocation: sourceLocation)
            }
        }
    }

    /// The ways the answer `status` to `method uri` disagrees with the contract (none: it agrees).
    /// `body` nil: not available, only status and Content-Type are checked. `allow`: the answer's
    /// `Allow` header.
    func problems(_ method: String, _ uri: String, status: Int, contentType: String?, body: [UInt8]?, allow: String? = nil) -> [String] {
        let path = String(uri.prefix { $0 != "?" && $0 != "#" })
        if method == "HEAD", let body, !body.isEmpty {
            return ["HEAD \(path) answered \(status) with a body: \(Self.excerpt(body))"]
        }
        let body = method == "HEAD" ? nil : body
        let what: String
        let response: JSONValue
        let reference: String?
        if let operation = operation(method, path) {
            what = "\(operation.name) answered \(status)"
            let statusKey = String(status)
            let rangeKey = "\(status / 100)XX"
            guard let documented = operation.responses[statusKey] ?? operation.responses[rangeKey] ?? operation.responses["default"] else {
                let statuses = operation.responses.keys.sorted().joined(separator: ", ")
                return ["\(what), a status the contract does not document (it documents \(statuses)); body: \(Self.excerpt(body))"]
            }
            response = documented
            reference = nil
        } else if path.hasPrefix("/api/"), case let methods = self.methods(path), !methods.isEmpty {
            // A path the contract has, with another method: 405 method_not_allowed, once the key is
            // accepted (looking it up needs the database: 503 Unavailable while it is away).
            what = "\(method) \(path), a method the contract does not have for this path, answered \(status)"
            reference = Self.unroutedReferences[status] ?? "#/components/responses/MethodNotAllowed"
            guard [401, 405, 429, 503].contains(status) else {
                return [
                    "\(what): a method a path does not have must answer 405 (or 401 without a valid key, 429 after too many wrong ones, 503 without the database)"
                ]
            }
            if status == 405, allow != methods.joined(separator: ", ") {
                return ["\(what) with Allow \(allow ?? "missing"), not the path's methods \(methods.joined(separator: ", "))"]
            }
            response = .object(["$ref": .string(reference!)])
        } else if path.hasPrefix("/api/") {
            // Every path under /api that no operation has: 404 not_found, once the key is accepted.
            what = "\(method) \(path), a route the contract does not have, answered \(status)"
            reference = Self.unroutedReferences[status] ?? "#/components/responses/UnknownRoute"
            guard [401, 404, 429, 503].contains(status) else {
                return [
                    "\(what): an unknown /api route must answer 404 (or 401 without a valid key, 429 after too many wrong ones, 503 without the database)"
                ]
            }
            response = .object(["$ref": .string(reference!)])
        } else {
            return [] // a consumer page: not part of the contract
        }
        return responseProblems(response, what: what, contentType: contentType, body: body)
    }

    /// The answers of an unrouted `/api` request besides its 404 or 405.
    static let unroutedReferences = [
        401: "#/components/responses/Unauthorized", 429: "#/components/responses/TooManyFailedKeys",
        503: "#/components/responses/Unavailable",
    ]

    /// The operation `method path` is: of the most specific template that matches the path (as
    /// OpenAPI matches a concrete path before a templated one), whatever the method; nil when
    /// that template has no operation for `method`.
    func operation(_ method: String, _ path: String) -> Operation? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var best: (operation: Operation, literals: Int)?
        for operation in operations {
            let templateSegments = operation.template.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard templateSegments.count == segments.count else { continue }
            var literals = 0
            var matches = true
            for (template, segment) in zip(templateSegments, segments) {
                if let (prefix, suffix) = Self.parameterParts(template) {
                    matches = segment.count > prefix.count + suffix.count && segment.hasPrefix(prefix) && segment.hasSuffix(suffix)
                } else {
                    matches = template == segment
                    literals += 1
                }
                if !matches { break }
            }
            if matches, literals > (best?.literals ?? -1) || (literals == best?.literals && operation.method == method) {
                best = (operation, literals)
            }
        }
        return best?.operation.method == method ? best?.operation : nil
    }

    /// The methods the contract has operations for at `path`, in the order the server lists them
    /// in `Allow`: GET, HEAD, POST, PUT, PATCH, DELETE. The path is the most specific template that
    /// matches it (as OpenAPI matches a concrete path before a templated one): `/campaigns/preview`
    /// has the methods of that path, not of `/campaigns/{id}`.
    func methods(_ path: String) -> [String] {
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
        let found = Set(order.filter { operation($0, path) != nil })
        return order.filter(found.contains)
    }

    /// The text around the parameter of a template segment (`{seq}.png` → ("", ".png")), or nil for a literal.
    private static func parameterParts(_ segment: String) -> (String, String)? {
        guard let open = segment.firstIndex(of: "{"), let close = segment.firstIndex(of: "}"), open < close else { return nil }
        return (String(segment[..<open]), String(segment[segment.index(after: close)...]))
    }

    /// The response object `documented` is, following `$ref`s to `components.responses`; nil if one does not resolve.
    func resolveResponse(_ documented: JSONValue) -> JSONValue? {
        var response = documented
        for _ in 0..<10 {
            guard let reference = response["$ref"]?.string else { return response }
            guard let target = schemas.resolve(reference) else { return nil }
            response = target
        }
        return nil
    }

    private func responseProblems(_ documented: JSONValue, what: String, contentType: String?, body: [UInt8]?) -> [String] {
        guard let response = resolveResponse(documented) else { return ["\(what): the response's $ref does not resolve"] }
        guard let content = response["content"]?.object, !content.isEmpty else {
            if let body, !body.isEmpty { return ["\(what) with a body, but the contract documents none: \(Self.excerpt(body))"] }
            return []
        }
        let mediaType = contentType.map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
        guard let mediaType, let media = content[mediaType] else {
            return ["\(what) with Content-Type \(contentType ?? "none"), the contract documents \(content.keys.sorted())"]
        }
        guard mediaType == "application/json" || mediaType.hasSuffix("+json"), let body else { return [] }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            return ["\(what) with a body that is not JSON: \(Self.excerpt(body))"]
        }
        var problems: [String] = []
        if let schema = media["schema"] {
            problems += schemas.check(value, against: schema).map { "\(what): \($0)" }
        }
        if let code = value["error"]?["code"]?.string {
            if let codes = response["x-tally-error-codes"]?.array?.compactMap(\.string) {
                if !codes.contains(code) {
                    problems.append(
                        "\(what): $.error.code \"\(code)\" is not among the codes the contract lists for this response, \(codes)")
                }
            } else {
                problems.append("\(what) with error.code \"\(code)\", but the response has no x-tally-error-codes")
            }
        }
        if !problems.isEmpty { problems.append("the body was \(Self.excerpt(body))") }
        return problems
    }

    private static func excerpt(_ body: [UInt8]?) -> String {
        guard let body else { return "(not read)" }
        let text = String(decoding: body.prefix(600), as: UTF8.self)
        return body.count > 600 ? text + "…" : text
    }
}
