/// A GS1 Global Trade Item Number, held in its 14-digit form.
public struct GTIN: Hashable, Sendable, CustomStringConvertible {
    /// The 14 digits, left-padded with zeros from GTIN-8/12/13.
    public let digits: String

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case notDigits
        case wrongLength(Int)
        case badCheckDigit(expected: Int)

        public var description: String {
            switch self {
            case .notDigits: "a GTIN has only digits"
            case .wrongLength(let n): "a GTIN has 8, 12, 13 or 14 digits, not \(n)"
            case .badCheckDigit(let expected): "GTIN check digit is wrong (expected \(expected))"
            }
        }
    }

    /// Accepts GTIN-8, -12, -13 or -14 and checks the GS1 check digit.
    public init(_ text: some StringProtocol) throws(Problem) {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { throw .notDigits }
        guard [8, 12, 13, 14].contains(bytes.count) else { throw .wrongLength(bytes.count) }
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: 14 - bytes.count) + bytes
        let values = padded.map { Int($0 - UInt8(ascii: "0")) }
        let expected = GTIN.checkDigit(values.prefix(13))
        guard values[13] == expected else { throw .badCheckDigit(expected: expected) }
        self.digits = String(decoding: padded, as: UTF8.self)
    }

    /// GS1 mod-10: weights 3 and 1 alternate from the digit next to the check digit.
    public static func checkDigit(_ body: some Collection<Int>) -> Int {
        var sum = 0
        for (offset, digit) in body.reversed().enumerated() {
            sum += digit * (offset % 2 == 0 ? 3 : 1)
        }
        return (10 - sum % 10) % 10
    }

    public var description: String { digits }
}
