import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` in a transaction, rethrowing the body's own error (not PostgresNIO's
    /// wrapper) so that callers can tell a domain refusal from a database failure.
    public func transaction<T: Sendable>(
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        do {
            return try await withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError { throw closureError }
            throw error
        }
    }
}
