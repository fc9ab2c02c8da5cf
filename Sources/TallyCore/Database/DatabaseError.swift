import PostgresNIO
import _ConnectionPoolModule

/// What PostgreSQL said about a failed statement, dug out of PostgresNIO's wrappers
/// (PostgresNIO hides server messages by default so they do not leak into logs by accident).
public struct DatabaseError: Sendable {
    /// The SQLSTATE code, e.g. `23505` for a unique violation.
    public let sqlState: String?
    public let message: String?
    public let constraint: String?

    public init?(_ error: any Error) {
        guard let psql = error.unwrappingTransaction as? PSQLError, let info = psql.serverInfo else { return nil }
        sqlState = info[.sqlState]
        message = info[.message]
        constraint = (info[.constraintName] ?? message.flatMap(Self.constraintNamed)).map(Self.withoutShardSuffix)
    }

    /// The constraint a message names (`… violates unique constraint "products_gtin_key_102008"`).
    /// Citus passes a worker's error on without its constraint field, only its message.
    static func constraintNamed(in message: String) -> String? {
        guard let match = message.firstMatch(of: /constraint "([^"]+)"/) else { return nil }
        return String(match.1)
    }

    /// A constraint as the schema names it. On Citus the error comes from a shard, whose
    /// constraints carry the shard's id (`batches_serials_do_not_overlap_102009`); shard ids
    /// start at 102008, and no constraint of Tally's ends in `_` and six digits or more.
    static func withoutShardSuffix(_ name: String) -> String {
        guard let underscore = name.lastIndex(of: "_") else { return name }
        let digits = name[name.index(after: underscore)...]
        guard digits.count >= 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return name }
        return String(name[..<underscore])
    }

    public static let uniqueViolation = "23505"
    public static let exclusionViolation = "23P01"
    public static let checkViolation = "23514"
    public static let foreignKeyViolation = "23503"
    public static let restrictViolation = "23001"
}

extension Error {
    /// The error itself, or the one that PostgresNIO's `withTransaction` wrapped (the closure's,
    /// the commit's or the begin's); nil for a transaction error that wraps none.
    var unwrappingTransaction: (any Error)? {
        guard let transaction = self as? PostgresTransactionError else { return self }
        return transaction.closureError ?? transaction.commitError ?? transaction.beginError
    }

    /// A readable one-line account of a database error, for operators.
    public var databaseDescription: String {
        if let info = DatabaseError(self) {
            return "\(info.message ?? "database error") (SQLSTATE \(info.sqlState ?? "?"))"
        }
        return String(describing: self)
    }
}

extension Error {
    /// PostgreSQL could not be reached or went away: no connection could be made, one was lost or
    /// ended by a FATAL error, the server is shutting down or starting up, a statement was cancelled by its timeout, or
    /// the connection pool gave up. Such a failure is the database's, not the request's: the
    /// server answers 503 (`database_unavailable` or `outcome_unknown`), never 500.
    public var isDatabaseUnavailability: Bool {
        guard let error = unwrappingTransaction else { return false }
        if error is ConnectionPoolError { return true }
        guard let psql = error as? PSQLError else { return false }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed, .queryCancelled:
            return true
        case .server:
            // A FATAL ends the session, as a lost connection does, whatever its SQLSTATE (on Citus:
            // a worker lost while a subtransaction is cleaned up, "unexpected state SUBBEGIN").
            if let severity = psql.serverInfo?[.severity], severity == "FATAL" || severity == "PANIC" { return true }
            return DatabaseError.meansUnavailable(
                sqlState: psql.serverInfo?[.sqlState] ?? "", message: psql.serverInfo?[.message] ?? "")
        default:
            return false
        }
    }
}

extension Error {
    /// The server answered the statement with an ERROR and kept the session, so the statement's
    /// transaction was rolled back and nothing of it committed: on Citus, a worker it needed was
    /// down (class 08 or a lost worker's XX000, from the coordinator that is still there). Not a
    /// lost connection, a FATAL, or a cancel (class 57), after which a commit may have happened.
    public var wasRolledBackByServer: Bool {
        guard let psql = unwrappingTransaction as? PSQLError, psql.code == .server, let info = psql.serverInfo else { return false }
        return info[.severity] == "ERROR" && !(info[.sqlState] ?? "").hasPrefix("57")
    }
}

extension DatabaseError {
    /// Whether a server error (its SQLSTATE and message) says that the database, or on Citus one of
    /// its workers, could not be reached or went away, rather than anything about the request.
    public static func meansUnavailable(sqlState: String, message: String) -> Bool {
        // Class 08: connection exception (on Citus too: a worker that refuses connections or does
        // not answer within citus.node_connection_timeout, 08006); 57: operator intervention
        // (shutdown, recovery, statement timeout); 53: insufficient resources (too many connections).
        if sqlState.hasPrefix("08") || sqlState.hasPrefix("57") || sqlState.hasPrefix("53") { return true }
        // Citus reports a worker connection lost during a statement or a commit as internal_error
        // (XX000): libpq's words, which carry no SQLSTATE, or its own for the failed transaction
        // or for a worker's commit that failed after the coordinator's (the outcome is unknown).
        // A write sent to a worker by COPY (a multi-row insert) whose connection was lost: io_error.
        if sqlState == "58030" && message.hasPrefix("failed to COPY to shard ") { return true }
        return sqlState == "XX000" && citusLostWorker.contains { message.hasPrefix($0) }
    }

    /// How a lost worker connection's XX000 message begins (Citus's remote_commands.c,
    /// remote_transaction.c and placement_connection.c, libpq's fe-misc.c and fe-secure*.c).
    static let citusLostWorker = [
        "failure on connection marked as essential",
        "could not commit transaction for shard",
        "server closed the connection unexpectedly",
        "SSL SYSCALL error",
        "could not receive data from server",
        "could not send data to server",
        "no connection to the server",
        "connection not open",
    ]
}
