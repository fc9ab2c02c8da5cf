import TallyCodes

/// Voucher codes handed to members for redeemed rewards: 16 random Crockford base32 symbols
/// (80 bits) in four groups, e.g. `7KQ2-M9XD-4TRB-0HZE`. Read aloud or typed at a counter, so
/// the alphabet has no I, L, O or U; unguessable, so a voucher cannot be made up. The
/// database's unique index is the last word on uniqueness; at 80 bits a clash is not expected
/// in the life of the programme.
public enum Voucher {
    public static let symbolCount = 16

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    static func generate<G: RandomNumberGenerator>(using generator: inout G) -> String {
        var text = ""
        text.reserveCapacity(symbolCount + symbolCount / 4 - 1)
        for i in 0..<symbolCount {
            if i > 0 && i % 4 == 0 { text.append("-") }
            let symbol = Base32.alphabet[Int(generator.next(upperBound: UInt8(32)))]
            text.unicodeScalars.append(Unicode.Scalar(symbol))
        }
        return text
    }
}
