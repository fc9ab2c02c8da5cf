/// What a typed or scanned code turned out to be. Checked in this order, each
/// step without touching a database: shape → check symbol → key id → tag.
public enum CodeCheck: Equatable, Sendable {
    /// Not shaped like a code at all (wrong length or characters).
    case malformed(CodeInput.Problem)
    /// Shaped like a code but the check symbol fails: most likely mistyped, ask again.
    case typo
    /// A well-formed code under a key id this server does not hold (retired or never issued).
    case unknownKey(kid: UInt8)
    /// Check symbol fine, key known, tag wrong: not made by the brand.
    case forged(kid: UInt8, serial: UInt64)
    /// Genuine: signed by the brand's key.
    case valid(Code)

    public var code: Code? {
        if case .valid(let code) = self { return code }
        return nil
    }

    /// A stable machine-readable name for the result (used in APIs, logs and scan records).
    public var name: String {
        switch self {
        case .malformed: "malformed"
        case .typo: "typo"
        case .unknownKey: "unknown_key"
        case .forged: "forged"
        case .valid: "valid"
        }
    }
}
