import Synchronization

/// Whether a request's writes may have reached PostgreSQL, for the answer at its deadline.
///
/// A request with a deadline carries a gate (a task-local value, so every store it calls sees
/// it). Before anything that can make a write durable is sent (a `COMMIT`, a procedure that
/// commits, a write outside a transaction), the store calls `willCommit()`; at the deadline the
/// server calls `expire()`. Whichever comes first wins:
/// - the deadline first: the gate is shut, `willCommit()` throws, and the transaction rolls back
///   (even if its task only wakes up later), so the answer `database_unavailable` is true:
///   nothing was done;
/// - `willCommit()` first: the write may or may not be made, and only PostgreSQL knows; the
///   answer is `outcome_unknown`, and a retry with the same Idempotency-Key learns which.
public final class CommitGate: Sendable {
    @TaskLocal public static var current: CommitGate?

    private enum State {
        case open, committing, shut
    }
    private let state = Mutex(State.open)

    public init() {}

    /// Call before sending what may commit a write. Throws `StoreError.databaseUnavailable` once
    /// the deadline has passed, so that nothing is committed after the client was told it was not.
    public func willCommit() throws {
        try state.withLock { state in
            if state == .shut { throw StoreError.databaseUnavailable }
            state = .committing
        }
    }

    /// At the deadline: shuts the gate (unless a commit was sent) and gives the answer:
    /// `outcome_unknown` once a commit may have been sent, `database_unavailable` before.
    public func expire() -> StoreError {
        state.withLock { state in
            if state == .committing { return .outcomeUnknown }
            state = .shut
            return .databaseUnavailable
        }
    }

    /// The answer for a request whose database connection failed: as `expire()`, without
    /// shutting the gate (a retry inside the request may still commit).
    var failureError: StoreError {
        state.withLock { $0 == .committing ? .outcomeUnknown : .databaseUnavailable }
    }

    /// The answer for `error` when it is the database's going away (`isDatabaseUnavailability`),
    /// by the current request's gate (`database_unavailable` without one); nil for any other error.
    public static func unavailability(for error: any Error) -> StoreError? {
        guard error.isDatabaseUnavailability else { return nil }
        return current?.failureError ?? .databaseUnavailable
    }

    /// `willCommit()` on the current request's gate, if it has one.
    public static func willCommit() throws {
        try current?.willCommit()
    }
}

/// Runs a request's database work until `deadline`, behind the request's commit gate (the
/// current one, or a new one it then carries): at the deadline the caller gets
/// `database_unavailable` or `outcome_unknown` at once (see `withDeadline`, `CommitGate`).
public func withRequestDeadline<T: Sendable>(
    until deadline: ContinuousClock.Instant,
    _ work: @escaping @Sendable () async throws -> T
) async throws -> T {
    let gate = CommitGate.current ?? CommitGate()
    return try await withDeadline(until: deadline, expired: { gate.expire() }) {
        try await CommitGate.$current.withValue(gate) { try await work() }
    }
}
