/// A text a SQL function returned (its `outcome`) that the Swift side does not know: a bug,
/// since the function and the code reading it disagree. Deliberately not a `StoreError`: the
/// API logs it and answers 500 `internal`, the consumer pages show their "unavailable" page.
/// Each function's outcomes are read in one place, through a switch over their known texts
/// (tests check these against the texts in db/ — SQLOutcomeTests).
public struct UnexpectedSQLOutcome: Error, Sendable, CustomStringConvertible {
    public let function: String
    public let outcome: String

    public init(function: String, outcome: String) {
        self.function = function
        self.outcome = outcome
    }

    public var description: String { "\(function) returned the unknown outcome \"\(outcome)\"" }
}
