/// Crockford base32 as Tally writes it: `0-9A-Z` without I, L, O and U.
public enum Base32 {
    /// The 32 symbols, in value order.
    public static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Symbol value of an ASCII byte that is already normalised (upper case, O/I/L folded), or nil.
    @inline(__always)
    static func value(of byte: UInt8) -> UInt8? {
        let v = decodeTable[Int(byte)]
        return v == 0xFF ? nil : v
    }

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, symbol) in alphabet.enumerated() {
            table[Int(symbol)] = UInt8(value)
        }
        return table
    }()
}
