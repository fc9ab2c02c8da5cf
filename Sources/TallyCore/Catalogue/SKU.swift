/// The rule for a product's or a reward's SKU, the one definition of it: an ASCII letter or
/// digit, then up to 63 ASCII letters, digits, `.`, `_` or `-` — `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`.
/// A SKU sent to name a product or a reward (a batch's `sku`, a redemption's `reward`, a `sku`
/// or `cursor` query parameter) follows it too: text that breaks it names nothing, and is
/// refused before it reaches the database.
public enum SKU {
    /// The rule in words, for error messages.
    public static let rule = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"

    /// Whether `text` follows the rule. Written out byte by byte, as `ChannelName` is.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        let bytes = text.utf8
        guard (1...64).contains(bytes.count), let first = bytes.first, isLetterOrDigit(first) else { return false }
        return bytes.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Refuses `text`, the field `field`, with 422 `invalid_sku` unless it follows the rule.
    static func check(_ text: String, field: String = "sku") throws {
        guard isValid(text) else { throw StoreError(.invalid, .invalidSKU, "\(field) is a SKU: \(rule)") }
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
