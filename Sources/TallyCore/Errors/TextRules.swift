import Foundation

/// Checks free text before it reaches PostgreSQL, counting as PostgreSQL does (Unicode code
/// points, not Swift's grapheme clusters) and refusing what it cannot store (NUL) or what has
/// no place in a name (control characters), so that bad input gets a 4xx, never a 500.
///
/// Every text a request sends that reaches the database passes one of these rules, or a rule
/// that allows only some characters (`SKU`, `ChannelName`, tier names, `PhoneNumber`, URLs,
/// RFC 3339 times), or is checked where it is read (`Request.query` in the server), or is made
/// storable (`storable`, for what is only recorded, such as a scan's input).
public enum TextRules {
    /// Refuses `value` (the field `field`) with `invalid` unless it has `lengths` code points
    /// and no control characters (line breaks and tabs allowed only when `multiline`).
    static func check(_ value: String, field: String, invalid: ErrorCode, lengths: ClosedRange<Int>, multiline: Bool = false) throws {
        let scalars = value.unicodeScalars
        guard lengths.contains(scalars.count) else {
            throw StoreError(.invalid, invalid, "\(field) has \(lengths.lowerBound) to \(lengths.upperBound) characters")
        }
        guard !hasControlCharacters(value, multiline: multiline) else {
            throw StoreError(.invalid, invalid, "\(field) contains control characters")
        }
    }

    /// Whether `value` holds a control character (Unicode category Cc: U+0000–U+001F and
    /// U+007F–U+009F); line feed, carriage return and tab do not count when `multiline`.
    public static func hasControlCharacters(_ value: some StringProtocol, multiline: Bool = false) -> Bool {
        value.unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control && !(multiline && (scalar == "\n" || scalar == "\r" || scalar == "\t"))
        }
    }

    /// `value` with each NUL, which PostgreSQL cannot store, replaced by U+FFFD: for text that is
    /// only recorded as it came (a scan's input, a user agent), never refused.
    public static func storable(_ value: String) -> String {
        value.unicodeScalars.contains("\0")
            ? String(String.UnicodeScalarView(value.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : $0 })) : value
    }

    /// Refuses `text`, the field `field`, with `invalid` unless it is an absolute `http://` or
    /// `https://` URL (scheme in any case) with a host, of 1 to `maxLength` code points, without
    /// whitespace or control characters (Foundation's URL parser would take a NUL, percent-encoded);
    /// returns it with its scheme in lower case.
    static func httpURL(_ text: String, field: String, invalid: ErrorCode, maxLength: Int = 2000) throws -> String {
        guard (1...maxLength).contains(text.unicodeScalars.count),
            !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }),
            let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty,
            text.lowercased().hasPrefix(scheme + "://")
        else {
            throw StoreError(
                .invalid, invalid, "\(field) must be an absolute http:// or https:// URL with a host, at most \(maxLength) characters")
        }
        return scheme + text.dropFirst(scheme.count)
    }
}
