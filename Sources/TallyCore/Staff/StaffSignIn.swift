import Foundation

/// What a sign-in attempt came to.
public enum StaffSignIn: Sendable, Equatable {
    /// Signed in: `session.id` goes into the cookie.
    case signedIn(StaffSession)
    /// Wrong name, password or code (which one is not said).
    case refused
    /// Too many wrong attempts: refused without looking until this time.
    case locked(until: Date)
    /// The account is disabled.
    case disabled
}
