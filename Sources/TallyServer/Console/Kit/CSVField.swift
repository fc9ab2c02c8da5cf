import Foundation

/// One CSV field as RFC 4180 writes it, made safe to open in a spreadsheet: quoted when it holds
/// a comma, quote or line break, and a text starting with `=`, `+`, `-` or `@` (which a
/// spreadsheet would run as a formula: a member's name could be one) starts with `'` instead.
enum CSVField {
    static func escape(_ value: String, numeric: Bool = false) -> String {
        var text = value
        if !numeric, let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
