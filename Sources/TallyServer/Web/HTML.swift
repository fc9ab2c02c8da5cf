/// HTML text written as string literals in which every interpolated value is escaped
/// (`& < > " '`), so a page cannot forget to escape what a consumer or the brand typed.
/// Only `HTML(trusted:)` takes text as it is.
struct HTML: ExpressibleByStringInterpolation, Sendable {
    private(set) var text: String

    init(stringLiteral literal: String) {
        text = literal
    }

    init(stringInterpolation: Interpolation) {
        text = stringInterpolation.text
    }

    /// Markup written by us, not from any input (such as a style sheet).
    init(trusted markup: String) {
        text = markup
    }

    static func + (html: HTML, more: HTML) -> HTML {
        HTML(trusted: html.text + more.text)
    }

    static func += (html: inout HTML, more: HTML) {
        html.text += more.text
    }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + 24 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            text += literal
        }

        mutating func appendInterpolation(_ value: String) {
            HTML.escape(value, into: &text)
        }

        mutating func appendInterpolation(_ value: Int) {
            text += String(value)
        }

        mutating func appendInterpolation(_ value: Int64) {
            text += String(value)
        }

        /// Markup already escaped where it had to be: a part of the page built as `HTML`.
        mutating func appendInterpolation(_ value: HTML) {
            text += value.text
        }
    }

    /// `value` escaped, as a string.
    static func escaped(_ value: String) -> String {
        var text = ""
        escape(value, into: &text)
        return text
    }

    /// Parts joined one after the other.
    static func joined(_ parts: [HTML]) -> HTML {
        HTML(trusted: parts.map(\.text).joined())
    }

    /// Appends `value` with the five characters that matter in text and attribute values
    /// replaced by their entities. They are ASCII, so a scan of the bytes finds them.
    static func escape(_ value: String, into text: inout String) {
        guard value.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            text += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": text += "&amp;"
            case "<": text += "&lt;"
            case ">": text += "&gt;"
            case "\"": text += "&quot;"
            case "'": text += "&#39;"
            default: text.unicodeScalars.append(scalar)
            }
        }
    }
}
