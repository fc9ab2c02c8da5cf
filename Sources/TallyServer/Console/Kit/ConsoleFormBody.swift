import Foundation
import Hummingbird
import NIOCore

/// A posted console form's fields (`application/x-www-form-urlencoded`), by name; a name may
/// repeat (a group of checkboxes).
struct ConsoleFormBody: Sendable {
    private let fields: [(String, String)]

    static let maxSize = 256 * 1024

    init(_ text: String) {
        fields = text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The field, trimmed; nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = fields.first(where: { $0.0 == name })?.1 else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The field exactly as sent (a password, a JSON document).
    func raw(_ name: String) -> String? {
        fields.first(where: { $0.0 == name })?.1
    }

    /// Every value sent under `name`, non-empty ones only.
    func all(_ name: String) -> [String] {
        fields.filter { $0.0 == name }.map { $0.1.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
