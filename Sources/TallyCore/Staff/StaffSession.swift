import Foundation

/// A signed-in staff member, as the console sees them on each request.
public struct StaffSession: Sendable, Equatable {
    /// The random id in the session cookie (hex): the CSRF token of the session's forms is bound to it.
    public let id: String
    public let staffID: Int64
    public let name: String
    public let role: StaffRole
    public let expiresAt: Date

    public var actor: String { "staff:\(name)" }

    public func may(_ permission: StaffPermission) -> Bool {
        role.may(permission)
    }
}
