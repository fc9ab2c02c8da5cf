import Foundation
import Logging
import PostgresNIO

/// Records every export of codes: who took which range of which batch, and when.
public struct ExportAudit: Sendable {
    public enum Kind: String, Sendable { case csv, txt, svg, png, zip }

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Written before the first byte is sent, so that no export goes unrecorded.
    public func record(batchID: Int64, actor: String, kind: Kind, from: Int64, count: Int64) async throws {
        try CommitGate.willCommit() // a write outside a transaction
        try await database.query(
            """
            INSERT INTO export_audit (batch_id, actor, kind, first_sequence, count)
            VALUES (\(batchID), \(actor), \(kind.rawValue), \(from), \(count))
            """, logger: logger)
    }

    /// A batch's exports, newest first.
    public func list(batchID: Int64, limit: Int = 100) async throws -> [ExportRecord] {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, actor, kind, first_sequence, count, created_at FROM export_audit
                WHERE batch_id = \(batchID) ORDER BY id DESC LIMIT \(min(max(limit, 1), 1000))
                """, logger: logger)
            var records: [ExportRecord] = []
            for try await (id, actor, kind, from, count, at) in rows.decode((Int64, String, String, Int64, Int64, Date).self) {
                records.append(ExportRecord(id: id, actor: actor, kind: kind, from: from, count: count, at: at))
            }
            return records
        }
    }
}
