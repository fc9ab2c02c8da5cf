/// Turns what a person typed (or a scanner read) into 18 symbol values.
///
/// Normalisation: full-width ASCII (as typed on Chinese keyboards) becomes ASCII,
/// letters become upper case, `-` and white space are dropped, O→0 and I/L→1.
public enum CodeInput {
    /// Longest input we look at; anything longer is malformed without further work.
    public static let maxInputLength = 64

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case tooLong
        case invalidCharacter(Character)
        case wrongLength(Int)

        public var description: String {
            switch self {
            case .empty: "no code given"
            case .tooLong: "too long to be a code"
            case .invalidCharacter(let c): "'\(c)' cannot appear in a code"
            case .wrongLength(let n): "a code has 18 characters, this has \(n)"
            }
        }
    }

    /// The 18 symbol values of `input`, or why it is not shaped like a code.
    public static func symbols(of input: some StringProtocol) -> Result<[UInt8], Problem> {
        var symbols: [UInt8] = []
        symbols.reserveCapacity(Code.symbolCount)
        var seen = 0
        for scalar in input.unicodeScalars {
            seen += 1
            if seen > maxInputLength { return .failure(.tooLong) }
            let folded = fold(scalar)
            if folded == 0 { continue } // a separator
            guard let value = Base32.value(of: folded) else {
                return .failure(.invalidCharacter(Character(scalar)))
            }
            symbols.append(value)
        }
        if symbols.isEmpty { return .failure(.empty) }
        guard symbols.count == Code.symbolCount else { return .failure(.wrongLength(symbols.count)) }
        return .success(symbols)
    }

    /// The canonical 18-character text of `input` if it is shaped like a code (check not verified).
    public static func normalised(_ input: some StringProtocol) -> String? {
        guard case .success(let symbols) = symbols(of: input) else { return nil }
        return String(decoding: symbols.map { Base32.alphabet[Int($0)] }, as: UTF8.self)
    }

    /// Maps one typed scalar to a normalised ASCII byte, 0 for a separator, 0xFF for anything else.
    @inline(__always)
    private static func fold(_ scalar: Unicode.Scalar) -> UInt8 {
        var v = scalar.value
        if v >= 0xFF01 && v <= 0xFF5E { v -= 0xFEE0 } // full-width forms → ASCII
        if v == 0x3000 { return 0 } // ideographic space
        guard v < 0x80 else { return 0xFF }
        var byte = UInt8(v)
        if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { byte -= 32 }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): return 0
        case UInt8(ascii: "O"): return UInt8(ascii: "0")
        case UInt8(ascii: "I"), UInt8(ascii: "L"): return UInt8(ascii: "1")
        default: return byte
        }
    }
}
