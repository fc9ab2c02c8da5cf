import Logging
import PostgresNIO

/// Writes recorded scans, many rows to one statement.
public struct ScanStore: Sendable {
    /// Rows per INSERT: few round trips, and far under PostgreSQL's 65,535 parameters (11 per row).
    public static let rowsPerInsert = 500

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Inserts `scans` (at most `rowsPerInsert`) in one statement, or throws and writes none. The
    /// same statement counts the scans of members in their first and last scan times
    /// (db/functions/note_scans.sql).
    public func insert(_ scans: [Scan]) async throws {
        try await database.query(Self.insertQuery(scans), logger: logger)
    }

    static func insertQuery(_ scans: [Scan]) -> PostgresQuery {
        // code_key, the scan's shard on Citus (db/migrations/0021_scans_by_code.sql): its code's
        // serial, or the column's default for a scan of no code.
        var sql =
            "WITH recorded AS (INSERT INTO scans (scanned_at, result, kid, serial, code_key, input, member_id, ip, user_agent, latitude, longitude, accuracy_m) VALUES "
        var bindings = PostgresBindings(capacity: scans.count * 11)
        for (row, scan) in scans.enumerated() {
            let base = row * 11
            let values = (1...11).map { i in i == 7 ? "$\(base + i)::inet" : "$\(base + i)" }
            sql +=
                (row == 0 ? "" : ", ") + "(" + values[0..<4].joined(separator: ", ")
                + (scan.serial == nil ? ", DEFAULT, " : ", $\(base + 4), ") + values[4...].joined(separator: ", ") + ")"
            bindings.append(scan.at)
            bindings.append(scan.result)
            bindings.append(scan.kid)
            bindings.append(scan.serial)
            bindings.append(scan.input)
            bindings.append(scan.member)
            bindings.append(scan.ip)
            bindings.append(scan.userAgent)
            bindings.append(scan.latitude)
            bindings.append(scan.longitude)
            bindings.append(scan.accuracy)
        }
        sql +=
            " RETURNING member_id, scanned_at) SELECT note_scans(array_agg(member_id), array_agg(scanned_at)) FROM recorded WHERE member_id IS NOT NULL"
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
