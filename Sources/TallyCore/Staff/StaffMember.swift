import Foundation

/// A staff account as listed (never its password hash or TOTP secret).
public struct StaffMember: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let role: StaffRole
    public let hasSecondFactor: Bool
    public let lockedUntil: Date?
    public let disabledAt: Date?
    public let createdAt: Date

    /// How the account is named in audit records and as the actor of what it changes.
    public var actor: String { "staff:\(name)" }
}
