/// A refusal from the domain, with a stable machine-readable code and a message for people.
/// The server maps `kind` to an HTTP status; the CLI prints the message.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The request is well-formed but breaks a rule (HTTP 422).
        case invalid
        /// The thing asked for does not exist (HTTP 404).
        case notFound
        /// The request conflicts with the current state (HTTP 409).
        case conflict
        /// Too many requests of this kind, from this phone or address (HTTP 429).
        case rateLimited
        /// The server has more of this work waiting than it takes on; try again shortly (HTTP 503).
        case overloaded
        /// The database did not answer in time, or went away (HTTP 503): nothing was done
        /// (`database_unavailable`), or a write's outcome is unknown (`outcome_unknown`).
        case unavailable
    }

    public let kind: Kind
    public let code: ErrorCode
    public let message: String

    public init(_ kind: Kind, _ code: ErrorCode, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension StoreError {
    /// The database could not be reached, or did not answer, before the request's deadline;
    /// nothing was done.
    public static let databaseUnavailable = StoreError(
        .unavailable, .databaseUnavailable,
        "the database is not available right now; nothing was done: try again in a moment (with the same Idempotency-Key)")
    /// A write was sent but its answer did not come back: it may or may not have been made.
    public static let outcomeUnknown = StoreError(
        .unavailable, .outcomeUnknown,
        "the database did not confirm this write in time, so it may or may not have been made: "
            + "send the same request with the same Idempotency-Key again to get its one real outcome")
}
