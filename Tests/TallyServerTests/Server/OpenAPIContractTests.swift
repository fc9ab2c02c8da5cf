import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TallyCodes
import TallyCore
import TallyServer
import TallyTestSupport
import Testing
import Yams

/// The OpenAPI document served at `/openapi.yaml` against the routes really served:
/// the same operations with the same scopes, and authentication refusals as documented.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    static let keyRing = testKeyRing
    /// Nothing listens on port 9: the document and the route list need no database.
    static let offlineConfig = ServerConfig(
        port: 0, databaseURL: "postgres://tally@127.0.0.1:9/none?sslmode=disable", keyRing: keyRing
    )
    /// Request logs of hundreds of refused requests would drown the test output.
    static let logger = quietLogger

    // MARK: The document

    @Test("the served document is OpenAPI 3.1 YAML")
    func parses() async throws {
        let (text, contentType) = try await Self.fetchDocument()
        #expect(contentType?.hasPrefix("application/yaml") == true)
        let document = try #require(try Yams.compose(yaml: text), "the document is empty")
        let version = try #require(document["openapi"]?.string, "no openapi field")
        #expect(version.hasPrefix("3.1."), "openapi is \(version), not 3.1.x")
        #expect(document["info"]?["title"]?.string != nil)
        #expect(document["paths"]?.mapping != nil)
    }

    @Test("the /api operations in the document are exactly the routes served")
    func sameOperations() async throws {
        let contract = try await Self.contract()
        let served = Set(apiRoutes().map(\.operation))
        let documented = Set(contract.keys.filter { $0.contains(" /api/") })
        let missing = served.subtracting(documented).sorted()
        let extra = documented.subtracting(served).sorted()
        #expect(missing.isEmpty, "served but not in the contract: \(missing)")
        #expect(extra.isEmpty, "in the contract but not served: \(extra)")
        #expect(!served.isEmpty)
    }

    @Test("each /api operation's x-tally-scope is the scope its route demands")
    func scopes() async throws {
        let contract = try await Self.contract()
        for route in apiRoutes() {
            guard let operation = contract[route.operation] else { continue } // reported by sameOperations
            #expect(
                operation.scope == route.scope.rawValue,
                "\(route.operation): x-tally-scope \(operation.scope ?? "missing"), served with \(route.scope.rawValue)")
        }
        for (name, operation) in contract where name.contains(" /api/") {
            #expect(
                operation.scope.flatMap(Scope.init(rawValue:)) != nil,
                "\(name): x-tally-scope \(operation.scope ?? "missing") is not a scope")
        }
    }

    @Test("each /api operation declares 401, 403 and 429")
    func authResponsesDeclared() async throws {
        for (name, operation) in try await Self.contract() where name.contains(" /api/") {
            #expect(operation.statuses.contains(401), "\(name) does not declare 401")
            #expect(operation.statuses.contains(403), "\(name) does not declare 403")
            #expect(operation.statuses.contains(429), "\(name) does not declare 429 (too_many_failed_keys)")
        }
    }

    @Test("the served document is byte for byte Resources/openapi.yaml")
    func servedAsWritten() async throws {
        let written = try Data(contentsOf: ContractValidator.sourceURL)
        let served = try await Self.fetchDocumentBytes()
        #expect(!written.isEmpty)
        #expect(
            served == Array(written),
            "the served /openapi.yaml (\(served.count) bytes) differs from \(ContractValidator.sourceURL.path) (\(written.count) bytes)")
    }

    @Test("every error response of every /api operation lists its error codes in x-tally-error-codes")
    func errorCodesListed() async throws {
        let contract = try ContractValidator.shared.get()
        let apiOperations = contract.operations.filter { $0.template.hasPrefix("/api/") }
        #expect(!apiOperations.isEmpty)
        for operation in apiOperations {
            // Any /api route answers an unexpected failure with 500 `internal`.
            #expect(
                operation.responses["500"] == .object(["$ref": .string("#/components/responses/InternalError")]),
                "\(operation.name) does not declare 500")
            for (status, documented) in operation.responses where (Int(status) ?? 0) >= 400 {
                let response = try #require(contract.resolveResponse(documented), "\(operation.name) \(status) does not resolve")
                let codes = response["x-tally-error-codes"]?.array ?? []
                #expect(!codes.isEmpty, "\(operation.name) \(status) has no x-tally-error-codes")
                for code in codes {
                    #expect(
                        code.string?.wholeMatch(of: /[a-z][a-z0-9_]*/) != nil,
                        "\(operation.name) \(status): \(code.brief) is not an error code")
                }
                #expect(Set(codes.compactMap(\.string)).count == codes.count, "\(operation.name) \(status) lists a code twice")
            }
        }
        let unknownRoute = try #require(contract.schemas.resolve("#/components/responses/UnknownRoute"), "no UnknownRoute response")
        #expect(unknownRoute["x-tally-error-codes"] == .array([.string("not_found")]))
    }

    @Test("every $ref resolves within the document")
    func referencesResolve() async throws {
        let document = try #require(try Yams.compose(yaml: await Self.fetchDocument().text))
        var references: [String] = []
        Self.collectReferences(in: document, into: &references)
        #expect(references.count > 10)
        for reference in references {
            #expect(Self.resolve(reference, in: document) != nil, "$ref \(reference) does not resolve")
        }
    }

    // MARK: Authentication over real HTTP

    @Test("without Authorization every route answers 401 unauthorized, as documented")
    func noKey() async throws {
        let contract = try await Self.contract()
        try await Self.withLiveServer { client, _, routes in
            for route in routes {
                let response = try await client.execute(uri: route.concretePath, method: route.httpMethod)
                #expect(response.status == .unauthorized, "\(route.operation) without a key: \(response.status)")
                #expect(Self.errorCode(response) == "unauthorized", "\(route.operation): \(String(buffer: response.body))")
                #expect(contract[route.operation]?.statuses.contains(401) == true, "\(route.operation) does not declare 401")
            }
        }
    }

    @Test("an unknown or malformed key is refused with 401 on every route")
    func badKey() async throws {
        try await Self.withLiveServer { client, _, routes in
            let unknown = "tly_AAAAAAAA_" + String(repeating: "A", count: 43) // well-formed, never issued
            for authorization in ["Bearer tly_nope", "Bearer \(unknown)", "Basic dGFsbHk6dGFsbHk=", "Bearer "] {
                for route in routes {
                    let response = try await client.execute(
                        uri: route.concretePath, method: route.httpMethod, headers: [.authorization: authorization]
                    )
                    #expect(response.status == .unauthorized, "\(route.operation) with \(authorization): \(response.status)")
                    #expect(Self.errorCode(response) == "unauthorized", "\(route.operation): \(String(buffer: response.body))")
                }
            }
        }
    }

    @Test("an address that sent too many wrong keys gets 429 too_many_failed_keys on every route, as documented")
    func throttledEverywhere() async throws {
        try await Self.withLiveServer(failedKeys: .init(failures: 1, window: .seconds(3600))) { client, keys, routes in
            let (_, admin) = try await keys.create(name: "admin", scopes: [.admin])
            let first = try await client.execute(
                uri: "/api/v1/products", method: .get, headers: [.authorization: "Bearer tly_nope"])
            #expect(first.status == .unauthorized)
            for route in routes {
                for secret in ["tly_nope", admin] {
                    let response = try await client.execute(
                        uri: route.concretePath, method: route.httpMethod, headers: [.authorization: "Bearer \(secret)"]
                    )
                    #expect(response.status == .tooManyRequests, "\(route.operation): \(response.status)")
                    #expect(Self.errorCode(response) == "too_many_failed_keys", "\(route.operation): \(String(buffer: response.body))")
                    #expect(response.headers[.retryAfter].flatMap { Int($0) } != nil, "\(route.operation): no Retry-After")
                }
            }
        }
    }

    @Test("a key without the route's scope is refused with 403 forbidden on every route")
    func wrongScope() async throws {
        let contract = try await Self.contract()
        try await Self.withLiveServer { client, keys, routes in
            for scope in Scope.allCases where scope != .admin {
                let (_, secret) = try await keys.create(name: "only \(scope.rawValue)", scopes: [scope])
                for route in routes where route.scope != scope {
                    let response = try await client.execute(
                        uri: route.concretePath, method: route.httpMethod, headers: [.authorization: "Bearer \(secret)"]
                    )
                    #expect(response.status == .forbidden, "\(route.operation) with a \(scope.rawValue) key: \(response.status)")
                    #expect(Self.errorCode(response) == "forbidden", "\(route.operation): \(String(buffer: response.body))")
                    #expect(contract[route.operation]?.statuses.contains(403) == true, "\(route.operation) does not declare 403")
                }
            }
        }
    }

    @Test("a mint key is refused with 403 on admin routes")
    func mintKeyOnAdminRoutes() async throws {
        try await Self.withLiveServer { client, keys, routes in
            let (_, secret) = try await keys.create(name: "packaging line", scopes: [.mint])
            let adminRoutes = routes.filter { $0.scope == .admin }
            #expect(!adminRoutes.isEmpty)
            for route in adminRoutes {
                let response = try await client.execute(
                    uri: route.concretePath, method: route.httpMethod, headers: [.authorization: "Bearer \(secret)"]
                )
                #expect(response.status == .forbidden, "\(route.operation) with a mint key: \(response.status)")
                #expect(Self.errorCode(response) == "forbidden", "\(route.operation): \(String(buffer: response.body))")
            }
        }
    }

    @Test("a key with the route's scope, or admin, gets past authorization to a documented status")
    func rightScope() async throws {
        let contract = try await Self.contract()
        try await Self.withLiveServer { client, keys, routes in
            let (_, admin) = try await keys.create(name: "admin", scopes: [.admin])
            for route in routes {
                let (_, own) = try await keys.create(name: "only \(route.scope.rawValue)", scopes: [route.scope])
                for secret in [own, admin] {
                    let response = try await client.execute(
                        uri: route.concretePath, method: route.httpMethod, headers: [.authorization: "Bearer \(secret)"]
                    )
                    #expect(response.status != .unauthorized && response.status != .forbidden, "\(route.operation): \(response.status)")
                    #expect(
                        contract[route.operation]?.statuses.contains(response.status.code) == true,
                        "\(route.operation) answered \(response.status.code), which the contract does not declare"
                    )
                }
            }
        }
    }

    @Test("a revoked key is refused with 401 on every route")
    func revokedKey() async throws {
        try await Self.withLiveServer { client, keys, routes in
            let (key, secret) = try await keys.create(name: "revoked", scopes: [.admin])
            let headers: HTTPFields = [.authorization: "Bearer \(secret)"]
            let before = try await client.execute(uri: "/api/v1/products", method: .get, headers: headers)
            #expect(before.status == .ok, "the key works before it is revoked")
            _ = try await keys.revoke(prefix: key.prefix)
            for route in routes {
                let response = try await client.execute(uri: route.concretePath, method: route.httpMethod, headers: headers)
                #expect(response.status == .unauthorized, "\(route.operation) with a revoked key: \(response.status)")
                #expect(Self.errorCode(response) == "unauthorized", "\(route.operation): \(String(buffer: response.body))")
            }
        }
    }

    @Test("a method a path does not have is a 405 with Allow and the JSON error shape, after authentication; an unknown path a 404")
    func methodNotAllowed() async throws {
        let contract = try ContractValidator.shared.get()
        try await Self.withLiveServer { client, keys, routes in
            // Any valid key: a method a path does not have needs no scope to be refused.
            let (_, secret) = try await keys.create(name: "claims only", scopes: [.claim])
            let methods: [HTTPRequest.Method] = [
                .get, .head, .post, .put, .patch, .delete, .options, .trace, HTTPRequest.Method("PROPFIND")!,
            ]
            var paths: [String: String] = [:]
            for route in routes { paths[route.path] = route.concretePath }
            var refused = 0
            for (template, path) in paths.sorted(by: { $0.key < $1.key }) {
                let allowed = contract.methods(path)
                #expect(!allowed.isEmpty, "\(template): the contract has no operation for \(path)")
                for method in methods where !allowed.contains(method.rawValue) {
                    let anonymous = try await client.execute(uri: path, method: method)
                    #expect(anonymous.status == .unauthorized, "\(method) \(template) without a key: \(anonymous.status)")
                    let response = try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(secret)"])
                    #expect(response.status == .methodNotAllowed, "\(method) \(template): \(response.status)")
                    #expect(response.headers[.allow] == allowed.joined(separator: ", "), "\(method) \(template)")
                    if method != .head {
                        #expect(Self.errorCode(response) == "method_not_allowed", "\(method) \(template): \(String(buffer: response.body))")
                    }
                    refused += 1
                }
            }
            #expect(refused > 100)
            // The issue's examples.
            let put = try await client.execute(uri: "/api/v1/claims", method: .put, headers: [.authorization: "Bearer \(secret)"])
            #expect(put.status == .methodNotAllowed && put.headers[.allow] == "POST")
            let trace = try await client.execute(uri: "/api/v1/products", method: .trace, headers: [.authorization: "Bearer \(secret)"])
            #expect(trace.status == .methodNotAllowed && trace.headers[.allow] == "GET, POST")
            // A path no operation has stays a 404 not_found, whatever the method, once the key is accepted.
            for path in ["/api/v1/nothing", "/api/v1/products/X/nothing", "/api", "/api/v2/products"] {
                for method: HTTPRequest.Method in [.get, .put, .trace] {
                    let anonymous = try await client.execute(uri: path, method: method)
                    #expect(anonymous.status == .unauthorized, "\(method) \(path) without a key: \(anonymous.status)")
                    let response = try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(secret)"])
                    #expect(response.status == .notFound, "\(method) \(path): \(response.status)")
                    #expect(Self.errorCode(response) == "not_found", "\(method) \(path): \(String(buffer: response.body))")
                }
            }
        }
    }

    // MARK: Helpers

    /// What the tests need of one operation in the document (Sendable, unlike Yams' nodes).
    struct Operation: Sendable {
        var scope: String?
        var statuses: Set<Int>
    }

    /// `/openapi.yaml` as served, with its Content-Type.
    static func fetchDocument() async throws -> (text: String, contentType: String?) {
        let app = try buildApplication(offlineConfig, logger: logger)
        return try await app.test(.live) { client in
            let response = try await ContractCheckedClient(base: client).execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            return (String(buffer: response.body), response.headers[.contentType])
        }
    }

    /// `/openapi.yaml` as served, byte for byte.
    static func fetchDocumentBytes() async throws -> [UInt8] {
        let app = try buildApplication(offlineConfig, logger: logger)
        return try await app.test(.live) { client in
            let response = try await ContractCheckedClient(base: client).execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            return Array(buffer: response.body)
        }
    }

    /// The served document's operations by "METHOD /path".
    static func contract() async throws -> [String: Operation] {
        let document = try #require(try Yams.compose(yaml: await fetchDocument().text))
        let paths = try #require(document["paths"]?.mapping, "no paths")
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operations: [String: Operation] = [:]
        for (path, item) in paths {
            for (method, operation) in item.mapping ?? [:] {
                guard let method = method.string, methods.contains(method), let path = path.string else { continue }
                let statuses = operation["responses"]?.mapping?.keys.compactMap { $0.string.flatMap { Int($0) } } ?? []
                operations["\(method.uppercased()) \(path)"] = Operation(scope: operation["x-tally-scope"]?.string, statuses: Set(statuses))
            }
        }
        return operations
    }

    /// Every `$ref` value in the document.
    static func collectReferences(in node: Node, into references: inout [String]) {
        switch node {
        case .scalar: break
        case .sequence(let items): for item in items { collectReferences(in: item, into: &references) }
        case .mapping(let pairs):
            for (key, value) in pairs {
                if key.string == "$ref", let reference = value.string {
                    references.append(reference)
                } else {
                    collectReferences(in: value, into: &references)
                }
            }
        }
    }

    /// The node a local reference (`#/a/b~1c`) points to, or nil.
    static func resolve(_ reference: String, in document: Node) -> Node? {
        guard reference.hasPrefix("#/") else { return nil }
        var node = document
        for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .mapping(let pairs):
                guard let next = pairs[key] else { return nil }
                node = next
            case .sequence(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                node = items[index]
            case .scalar:
                return nil
            }
        }
        return node
    }

    /// Runs `body` against the server on a fresh database, over real HTTP. Wrong keys are not
    /// throttled unless asked (these tests send hundreds from one address).
    static func withLiveServer(
        failedKeys: FailedKeyThrottle.Settings = .off,
        _ body: @Sendable (_ client: any TestClientProtocol, _ keys: APIKeyStore, _ routes: [APIRoute]) async throws -> Void
    ) async throws {
        try await TestDatabase.withFresh { database, url in
            var config = ServerConfig(port: 0, databaseURL: url, keyRing: keyRing)
            config.failedKeys = failedKeys
            let routes = apiRoutes()
            let keys = APIKeyStore(database: database, logger: TestDatabase.logger)
            let app = try buildApplication(config, logger: logger)
            try await app.test(.live) { client in try await body(ContractCheckedClient(base: client), keys, routes) }
        }
    }

    /// `error.code` of a JSON error body, or nil if the body is not one.
    static func errorCode(_ response: TestResponse) -> String? {
        struct ErrorBody: Decodable {
            struct Detail: Decodable {
                let code: String
                let message: String
            }
            let error: Detail
        }
        return try? JSONDecoder().decode(ErrorBody.self, from: Data(String(buffer: response.body).utf8)).error.code
    }
}

extension APIRoute {
    /// "METHOD /path", as the contract's operations are named.
    var operation: String { "\(method) \(path)" }

    var httpMethod: HTTPRequest.Method { HTTPRequest.Method(rawValue: method)! }

    /// The path with its parameters filled in: {id} → 1, {sku} → X, {seq} → 0, {delivery_id} → 1.
    var concretePath: String {
        // Every other parameter ({channel}, {external_id}, …) gets a plain word.
        path.replacingOccurrences(of: "{id}", with: "1")
            .replacingOccurrences(of: "{sku}", with: "X")
            .replacingOccurrences(of: "{seq}", with: "0")
            .replacingOccurrences(of: "{delivery_id}", with: "1")
            .replacing(/\{[a-z_]+\}/, with: "x")
    }
}
