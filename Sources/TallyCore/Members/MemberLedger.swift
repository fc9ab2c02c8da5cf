import Foundation
import Logging
import PostgresNIO

/// One line of a member's points ledger.
public struct LedgerEntry: Sendable, Codable, Equatable {
    public var id: Int64
    /// The member the entry was written under: this member, or one merged into it.
    public var memberId: UUID
    public var kind: String
    public var points: Int64
    public var balanceAfter: Int64
    /// For claims: the code's serial and key id.
    public var codeKid: Int?
    public var codeSerial: Int64?
    public var reason: String?
    public var actor: String?
    public var createdAt: Date
}

/// Which ledger entries to list, newest first.
public struct LedgerFilter: Sendable {
    public static let kinds: Set<String> = ["claim", "redemption", "redemption_cancel", "adjustment", "expiry", "merge_in", "merge_out"]

    /// Entries older than this id (the previous page's `next_cursor`).
    public var before: Int64?
    public var kind: String?
    public var from: Date?
    public var until: Date?
    public var limit: Int

    public init(before: Int64? = nil, kind: String? = nil, from: Date? = nil, until: Date? = nil, limit: Int = 50) {
        self.before = before
        self.kind = kind
        self.from = from
        self.until = until
        self.limit = limit
    }
}

/// Reads a member's ledger, including the history of members merged into it.
public struct MemberLedger: Sendable {
    public static let maxPageSize = 200

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func entries(of member: UUID, _ filter: LedgerFilter) async throws -> [LedgerEntry] {
        if let kind = filter.kind, !LedgerFilter.kinds.contains(kind) {
            throw StoreError(.invalid, .invalidKind, "kind is one of \(LedgerFilter.kinds.sorted().joined(separator: ", "))")
        }
        let rows = try await database.query(
            """
            SELECT id, member_id, kind, points, balance_after, kid, serial, reason, actor, created_at
            FROM ledger_entries
            WHERE member_id IN (SELECT \(member)::uuid UNION ALL SELECT id FROM members WHERE merged_into = \(member))
              AND (\(filter.before)::int8 IS NULL OR id < \(filter.before)::int8)
              AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind)::text)
              AND (\(filter.from)::timestamptz IS NULL OR created_at >= \(filter.from)::timestamptz)
              AND (\(filter.until)::timestamptz IS NULL OR created_at < \(filter.until)::timestamptz)
            ORDER BY id DESC LIMIT \(filter.limit)
            """, logger: logger)
        var entries: [LedgerEntry] = []
        for try await (id, owner, kind, points, after, kid, serial, reason, actor, at) in rows.decode(
            (Int64, UUID, String, Int64, Int64, Int16?, Int64?, String?, String?, Date).self
        ) {
            entries.append(
                LedgerEntry(
                    id: id, memberId: owner, kind: kind, points: points, balanceAfter: after,
                    codeKid: kid.map(Int.init), codeSerial: serial, reason: reason, actor: actor, createdAt: at
                ))
        }
        return entries
    }
}
