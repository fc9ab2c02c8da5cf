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
