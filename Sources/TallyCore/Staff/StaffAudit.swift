import Foundation
import Logging
import PostgresNIO

/// Writes and reads the staff audit log (`staff_audit`, append-only).
///
/// A change made on a connection is recorded on the same connection, so in its transaction:
/// the change and its record commit together or not at all.
public struct StaffAudit: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Who did it: a signed-in staff member, or `tally` on the command line.
    public struct Actor: Sendable {
        public let staffID: Int64?
        public let name: String
        public let ip: String?

        public init(staffID: Int64?, name: String, ip: String?) {
            self.staffID = staffID
            self.name = name
            self.ip = ip
        }

        public init(_ session: StaffSession, ip: String?) {
            self.init(staffID: session.staffID, name: session.actor, ip: ip)
        }

        public static let commandLine = Actor(staffID: nil, name: "cli", ip: nil)
    }

    /// Records a change, before and after as any Encodable (as the API would show them).
    public func record(
        _ actor: Actor, action: String, target: String?, before: (any Encodable & Sendable)?, after: (any Encodable & Sendable)?,
        on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO staff_audit (staff_id, actor, action, target, before, after, ip)
            VALUES (\(actor.staffID), \(actor.name), \(action), \(target), \(Self.json(before))::jsonb, \(Self.json(after))::jsonb,
                    \(actor.ip)::inet)
            """, logger: logger)
    }

    /// Records a change made elsewhere (a store that keeps its own transaction).
    public func record(
        _ actor: Actor, action: String, target: String?, before: (any Encodable & Sendable)?, after: (any Encodable & Sendable)?
    ) async throws {
        try await database.withConnection { connection in
            try await record(actor, action: action, target: target, before: before, after: after, on: connection)
        }
    }

    /// Newest first; `actor` and `action` filter exactly, `from`/`to` by time, `before` pages by id.
    public func list(actor: String?, action: String?, from: Date?, to: Date?, before: Int64?, limit: Int) async throws
        -> [StaffAuditEntry]
    {
        let rows = try await database.query(
            """
            SELECT id, actor, action, target, before::text, after::text, host(ip), at FROM staff_audit
            WHERE (\(actor)::text IS NULL OR actor = \(actor)) AND (\(action)::text IS NULL OR action = \(action))
              AND (\(from)::timestamptz IS NULL OR at >= \(from)) AND (\(to)::timestamptz IS NULL OR at < \(to))
              AND (\(before)::int8 IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var entries: [StaffAuditEntry] = []
        for try await (id, actor, action, target, before, after, ip, at) in rows.decode(
            (Int64, String, String, String?, String?, String?, String?, Date).self)
        {
            entries.append(
                StaffAuditEntry(id: id, actor: actor, action: action, target: target, before: before, after: after, ip: ip, at: at))
        }
        return entries
    }

    static func json(_ value: (any Encodable & Sendable)?) -> String? {
        guard let value else { return nil }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
