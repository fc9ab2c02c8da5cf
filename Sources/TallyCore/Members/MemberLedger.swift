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
    /// For claims and campaign awards: the code's serial and key id.
    public var codeKid: Int?
    public var codeSerial: Int64?
    public var reason: String?
    public var actor: String?
    /// For campaign awards: the campaign and the version it was awarded under.
    public var campaignId: Int64?
    public var campaignVersion: Int?
    public var createdAt: Date
}

/// Which ledger entries to list, newest first.
public struct LedgerFilter: Sendable {
    public static let kinds: Set<String> = [
        "claim", "campaign", "redemption", "redemption_cancel", "adjustment", "expiry", "merge_in", "merge_out",
    ]

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

    /// The entries of member `id` (and of the members merged into it), or the survivor it was
    /// merged into, read in one statement under the API key `key` (revoked or expired at that
    /// instant: `APIKeyRejected`; see `APIKeyCache`).
    public func entries(of member: UUID, _ filter: LedgerFilter, key: UUID) async throws -> Lookup<[LedgerEntry]> {
        try await entries(of: member, filter, checking: key)
    }

    /// The same for the brand console, whose gate checked the staff session: no API key.
    public func entries(of member: UUID, _ filter: LedgerFilter) async throws -> Lookup<[LedgerEntry]> {
        try await entries(of: member, filter, checking: nil)
    }

    private func entries(of member: UUID, _ filter: LedgerFilter, checking key: UUID?) async throws -> Lookup<[LedgerEntry]> {
        if let kind = filter.kind, !LedgerFilter.kinds.contains(kind) {
            throw StoreError(.invalid, .invalidKind, "kind is one of \(LedgerFilter.kinds.sorted().joined(separator: ", "))")
        }
        // One row for the member even when no entry matches (its entry columns NULL).
        let rows = try await database.query(
            """
            SELECT * FROM member_ledger(\(key)::uuid, \(member), \(filter.before)::int8, \(filter.kind)::text,
                                        \(filter.from)::timestamptz, \(filter.until)::timestamptz, \(filter.limit)::int8)
            """, logger: logger)
        var memberFound = false
        var entries: [LedgerEntry] = []
        for try await (keyInForce, survivor, id, owner, kind, points, after, kid, serial, reason, actor, at, campaign, version)
            in rows.decode(
                (Bool, UUID?, Int64?, UUID?, String?, Int64?, Int64?, Int16?, Int64?, String?, String?, Date?, Int64?, Int32?).self
            )
        {
            guard keyInForce else { throw APIKeyRejected() }
            if let survivor { return .merged(into: survivor) }
            memberFound = true
            guard let id, let owner, let kind, let points, let after, let at else { continue }
            entries.append(
                LedgerEntry(
                    id: id, memberId: owner, kind: kind, points: points, balanceAfter: after,
                    codeKid: kid.map(Int.init), codeSerial: serial, reason: reason, actor: actor,
                    campaignId: campaign, campaignVersion: version.map(Int.init), createdAt: at
                ))
        }
        guard memberFound else { throw MemberDirectory.notFound(member) }
        return .member(entries)
    }
}
