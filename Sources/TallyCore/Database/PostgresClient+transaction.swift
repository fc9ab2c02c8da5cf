import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` in a transaction, rethrowing the body's own error (not a wrapper) so that
    /// callers can tell a domain refusal from a database failure. A transaction PostgreSQL
    /// aborted to break a deadlock is run again (see `retryingDeadlocks`).
    ///
    /// `COMMIT` is sent only through the request's `CommitGate`: once the request's deadline has
    /// passed (its client told `database_unavailable`), the transaction rolls back instead.
    public func transaction<T: Sendable>(
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        try await retryingDeadlocks(logger: logger) {
            try await withConnection(isolation: isolation) { connection in
                try await connection.query("BEGIN", logger: logger)
                let value: T
                do {
                    value = try await body(connection)
                    try CommitGate.willCommit()
                } catch {
                    // A rollback that fails (the connection is gone) leaves nothing behind either.
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                try await connection.query("COMMIT", logger: logger)
                return value
            }
        }
    }
}

/// Runs `work` again when PostgreSQL aborted it to break a deadlock (SQLSTATE 40P01) or a
/// serialization failure (40001). Such a transaction was rolled back whole, so running it
/// again is safe. Deadlocks are rare here (two members' locks taken in different orders by a
/// merge racing other changes) but must never reach a client as an error.
public func retryingDeadlocks<T>(
    attempts: Int = 4,
    logger: Logger,
    isolation: isolated (any Actor)? = #isolation,
    _ work: () async throws -> sending T
) async throws -> sending T {
    var attempt = 1
    while true {
        do {
            return try await work()
        } catch let error where attempt < attempts && DatabaseError(error).map(\.isRetryable) == true {
            logger.notice(
                "transaction aborted by PostgreSQL; running it again",
                metadata: [
                    "attempt": "\(attempt)", "error": "\(error.databaseDescription)",
                ])
            // A short random pause, so the two losers of a deadlock do not meet again at once.
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...(20 * attempt))))
            attempt += 1
        }
    }
}

extension DatabaseError {
    /// A deadlock or serialization failure: the transaction was rolled back and may be run again.
    var isRetryable: Bool { sqlState == "40P01" || sqlState == "40001" }
}
