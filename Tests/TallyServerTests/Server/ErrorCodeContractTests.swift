import Foundation
import Testing
import TallyCore
import Yams

/// Every `ErrorCode` the JSON API can send is documented in the contract, and every code the
/// contract's error descriptions name is one the server has. Deliberately textual (a code
/// appears in the file; backticked words in error descriptions), so that it holds whichever
/// way the contract lists an operation's codes.
@Suite("Error codes in the contract")
struct ErrorCodeContractTests {
    /// Backticked words in error descriptions that name a field or value, not a code.
    static let notCodes: Set<String> = [
        "active_from", "active_until", "add_stock", "channel", "code", "cost_points", "count", "dead", "expiry_date",
        "external_id", "from", "identity", "name", "per_member_limit", "phone", "quantity", "reason", "reward", "sku", "stock",
    ]

    @Test("every code the API sends appears in openapi.yaml")
    func everyCodeDocumented() throws {
        let words = Set(try Self.contractText().split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init))
        for code in ErrorCode.allCases where !ErrorCode.outsideTheAPI.contains(code) {
            #expect(words.contains(code.rawValue), "\(code.rawValue) is not in the contract")
        }
    }

    @Test("every code an error description names is an ErrorCode")
    func everyDocumentedCodeExists() throws {
        let named = try Self.namedInErrorDescriptions()
        #expect(!named.isEmpty)
        for word in named.subtracting(Self.notCodes).sorted() {
            #expect(ErrorCode(rawValue: word) != nil, "the contract names `\(word)`, which is no ErrorCode (or add it to notCodes)")
        }
    }

    static func contractText() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/TallyServer/Resources/openapi.yaml")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Backticked snake_case words in the descriptions of 4xx and 5xx responses, of
    /// operations and of the shared responses.
    static func namedInErrorDescriptions() throws -> Set<String> {
        let document = try #require(try Yams.compose(yaml: contractText()))
        var descriptions: [String] = []
        for (_, path) in document["paths"]?.mapping ?? [:] {
            for (_, operation) in path.mapping ?? [:] {
                for (status, response) in operation["responses"]?.mapping ?? [:] {
                    guard let status = status.string, status.hasPrefix("4") || status.hasPrefix("5") else { continue }
                    if let description = response["description"]?.string { descriptions.append(description) }
                }
            }
        }
        for (_, response) in document["components"]?["responses"]?.mapping ?? [:] {
            if let description = response["description"]?.string { descriptions.append(description) }
        }
        var words: Set<String> = []
        for description in descriptions {
            for match in description.matches(of: /`([a-z][a-z0-9]*(?:_[a-z0-9]+)*)`/) { words.insert(String(match.1)) }
        }
        return words
    }
}
