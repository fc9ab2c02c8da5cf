/// A mobile number in E.164 form (`+8613812345678`).
///
/// Mainland China numbers are first-class: 11 digits starting 13–19, typed with or without
/// `+86`, `86` or `0086`, spaces, dashes or brackets. Other countries need the `+` and their
/// country code.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    public let e164: String

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case invalidCharacters
        case notAMobileNumber

        public var description: String {
            switch self {
            case .empty: "enter a mobile number"
            case .invalidCharacters: "a mobile number has only digits (and +, spaces or dashes)"
            case .notAMobileNumber: "this is not a valid mobile number"
            }
        }
    }

    public init(_ input: String) throws(Problem) {
        var digits = ""
        var plus = false
        for (index, c) in input.unicodeScalars.enumerated() {
            switch c {
            case "0"..."9": digits.unicodeScalars.append(c)
            case "０"..."９": digits.unicodeScalars.append(Unicode.Scalar(c.value - 0xFEE0)!) // full-width digits
            case "+", "＋":
                guard digits.isEmpty, index == 0 || !plus else { throw .invalidCharacters }
                plus = true
            case " ", "-", "(", ")", ".", "\u{3000}": continue
            default: throw .invalidCharacters
            }
        }
        guard !digits.isEmpty else { throw .empty }
        if !plus && digits.hasPrefix("0086") {
            digits.removeFirst(4)
            plus = true
            digits = "86" + digits
        }
        if !plus && digits.count == 13 && digits.hasPrefix("86") { plus = true }
        if !plus && digits.count == 11 && digits.hasPrefix("1") {
            digits = "86" + digits
            plus = true
        }
        guard plus, (8...15).contains(digits.count), digits.first != "0" else { throw .notAMobileNumber }
        if digits.hasPrefix("86") {
            let national = digits.dropFirst(2)
            guard national.count == 11, national.first == "1", let second = national.dropFirst().first, ("3"..."9").contains(second) else {
                throw .notAMobileNumber
            }
        }
        e164 = "+" + digits
    }

    /// The number with its middle hidden, for pages and logs: `138****8000` for a mainland
    /// number (as people there expect it), `+44******0123` otherwise.
    public var masked: String {
        if e164.hasPrefix("+86") {
            let national = e164.dropFirst(3)
            return String(national.prefix(3)) + "****" + String(national.suffix(4))
        }
        return String(e164.prefix(3)) + String(repeating: "*", count: max(0, e164.count - 7)) + String(e164.suffix(4))
    }

    public var description: String { masked }
}
