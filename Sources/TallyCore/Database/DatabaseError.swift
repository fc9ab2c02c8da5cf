import PostgresNIO

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
        constraint = info[.constraintName]
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
