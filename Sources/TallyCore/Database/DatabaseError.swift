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
        var error = error
        if let transaction = error as? PostgresTransactionError {
            guard let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError else { return nil }
            error = inner
        }
        guard let psql = error as? PSQLError, let info = psql.serverInfo else { return nil }
        sqlState = info[.sqlState]
        message = info[.message]
        constraint = info[.constraintName].map(Self.withoutShardSuffix)
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
    /// A readable one-line account of a database error, for operators.
    public var databaseDescription: String {
        if let info = DatabaseError(self) {
            return "\(info.message ?? "database error") (SQLSTATE \(info.sqlState ?? "?"))"
        }
        return String(describing: self)
    }
}

extension Error {
    /// PostgreSQL could not be reached or went away: no connection could be made, one was lost,
    /// the server is shutting down or starting up, a statement was cancelled by its timeout, or
    /// the connection pool gave up. Such a failure is the database's, not the request's: the
    /// server answers 503 (`database_unavailable` or `outcome_unknown`), never 500.
    public var isDatabaseUnavailability: Bool {
        var error: any Error = self
        if let transaction = error as? PostgresTransactionError {
            guard let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError else { return false }
            error = inner
        }
        if error is ConnectionPoolError { return true }
        guard let psql = error as? PSQLError else { return false }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed, .queryCancelled:
            return true
        case .server:
            // Class 08: connection exception; 57: operator intervention (shutdown, recovery,
            // statement timeout); 53: insufficient resources (too many connections).
            let state = psql.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53")
        default:
            return false
        }
    }
}
