import Foundation
import TallyCore
import Testing
import Yams

/// The error codes of the contract against the server's one list, `ErrorCode`: every code the
/// JSON API can send is in some response's `x-tally-error-codes`, every listed code is an
/// `ErrorCode`, and a response's description names no code its list leaves out. (That a code
/// a test receives is listed for that operation and status is checked on every answer by
/// `ContractValidator`.)
@Suite("Error codes in the contract")
struct ErrorCodeContractTests {
    /// Backticked words in error descriptions that name a field or value, not a code.
    static let notCodes: Set<String> = [
        "active_from", "active_until", "add_stock", "channel", "code", "cost_points", "count", "dead", "expiry_date",
        "external_id", "from", "identity", "name", "per_member_limit", "phone", "quantity", "reason", "reward", "sku", "stock",
        "starts_at", "ends_at",
    ]

    @Test("every code the API sends is listed in x-tally-error-codes")
    func everyCodeListed() throws {
        let listed = Set(try Self.errorResponses().flatMap(\.codes))
        for code in ErrorCode.allCases where !ErrorCode.outsideTheAPI.contains(code) {
            #expect(listed.contains(code.rawValue), "\(code.rawValue) is in no x-tally-error-codes list")
        }
    }

    @Test("every listed code is an ErrorCode the API sends")
    func everyListedCodeExists() throws {
        for response in try Self.errorResponses() {
            for code in response.codes {
                let known = ErrorCode(rawValue: code)
                #expect(
                    known != nil && !ErrorCode.outsideTheAPI.contains(known!), "\(response.name) lists `\(code)`, which the API never sends"
                )
            }
        }
    }

    @Test("a response's description names only codes in its list")
    func descriptionsAgreeWithLists() throws {
        let responses = try Self.errorResponses()
        #expect(responses.count > 40)
        for response in responses {
            let named = Set(response.description.matches(of: /`([a-z][a-z0-9]*(?:_[a-z0-9]+)*)`/).map { String($0.1) })
            for word in named.subtracting(Self.notCodes).subtracting(response.codes).sorted() {
                #expect(ErrorCode(rawValue: word) == nil, "\(response.name): the description names `\(word)`, its list does not")
                #expect(ErrorCode(rawValue: word) != nil, "\(response.name): `\(word)` is no ErrorCode (or add it to notCodes)")
            }
        }
    }

    struct ErrorResponse {
        let name: String
        let description: String
        let codes: [String]
    }

    /// The 4xx and 5xx responses written out in the operations, and the shared ones.
    static func errorResponses() throws -> [ErrorResponse] {
        let document = try #require(try Yams.compose(yaml: contractText()))
        var found: [(String, Node)] = []
        for (path, item) in document["paths"]?.mapping ?? [:] {
            for (method, operation) in item.mapping ?? [:] {
                for (status, response) in operation["responses"]?.mapping ?? [:] {
                    guard let status = status.string, status.hasPrefix("4") || status.hasPrefix("5") else { continue }
                    guard response["$ref"] == nil else { continue }
                    found.append(("\(method.string ?? "") \(path.string ?? "") \(status)", response))
                }
            }
        }
        for (name, response) in document["components"]?["responses"]?.mapping ?? [:] {
            found.append(("components.responses.\(name.string ?? "")", response))
        }
        return found.map { name, response in
            ErrorResponse(
                name: name, description: response["description"]?.string ?? "",
                codes: response["x-tally-error-codes"]?.sequence?.compactMap(\.string) ?? []
            )
        }
    }

    static func contractText() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/TallyServer/Resources/openapi.yaml")
        return try String(contentsOf: url, encoding: .utf8)
    }
}
