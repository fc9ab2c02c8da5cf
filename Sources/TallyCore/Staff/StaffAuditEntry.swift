import Foundation

/// One change a staff member made, as the audit log keeps it.
public struct StaffAuditEntry: Sendable, Equatable {
    public let id: Int64
    public let actor: String
    public let action: String
    public let target: String?
    /// The thing before and after the change, as JSON text (nil for creations and deletions).
    public let before: String?
    public let after: String?
    public let ip: String?
    public let at: Date
}
