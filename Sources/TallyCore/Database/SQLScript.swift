import Foundation

/// Splits a SQL file into statements, since the extended query protocol runs one at a time.
///
/// Semicolons inside 'strings', "identifiers", $tag$ dollar quotes $tag$, -- line comments
/// and /* block comments */ do not end a statement.
public enum SQLScript {
    public static func statements(_ sql: String) -> [String] {
        let text = Array(sql.utf8)
        var statements: [String] = []
        var start = 0
        var i = 0
        func flush(upTo end: Int) {
            let statement = String(decoding: text[start..<end], as: UTF8.self)
            if !isBlank(statement) { statements.append(statement.trimmingWhitespace()) }
        }
        while i < text.count {
            let c = text[i]
            let next = i + 1 < text.count ? text[i + 1] : 0
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                i += 1
                while i < text.count {
                    if text[i] == c {
                        if i + 1 < text.count && text[i + 1] == c {
                            i += 2
                            continue
                        } // doubled quote
                        break
                    }
                    i += 1
                }
                i += 1
            case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
                while i < text.count && text[i] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                i += 2
                while i + 1 < text.count && !(text[i] == UInt8(ascii: "*") && text[i + 1] == UInt8(ascii: "/")) { i += 1 }
                i += 2
            case UInt8(ascii: "$"):
                // A dollar quote opens with $tag$ where tag is empty or an identifier.
                var j = i + 1
                while j < text.count && (isIdentifier(text[j])) { j += 1 }
                if j < text.count && text[j] == UInt8(ascii: "$") && !(j > i + 1 && isDigit(text[i + 1])) {
                    let tag = Array(text[i...j])
                    var k = j + 1
                    while k + tag.count <= text.count && Array(text[k..<(k + tag.count)]) != tag { k += 1 }
                    i = min(text.count, k + tag.count)
                } else {
                    i += 1
                }
            case UInt8(ascii: ";"):
                flush(upTo: i)
                i += 1
                start = i
            default:
                i += 1
            }
        }
        flush(upTo: text.count)
        return statements
    }

    private static func isIdentifier(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "_") || isDigit(c) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// True when the text holds only white space and comments.
    private static func isBlank(_ statement: String) -> Bool {
        var rest = Substring(statement)
        while true {
            rest = rest.drop(while: { $0.isWhitespace })
            if rest.hasPrefix("--") {
                rest = rest.drop(while: { $0 != "\n" })
            } else if rest.hasPrefix("/*"), let end = rest.range(of: "*/") {
                rest = rest[end.upperBound...]
            } else {
                return rest.isEmpty
            }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
