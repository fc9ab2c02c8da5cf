import Foundation
import Logging
import PostgresNIO

/// What a signed-in consumer sees of their own account on the /me page.
public struct MemberAccount: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// claim, redemption, redemption_cancel, adjustment, expiry, merge_in or merge_out.
        public var kind: String
        public var points: Int64
        public var balanceAfter: Int64
        public var createdAt: Date
    }

    /// The member holding the account (after a merge, the survivor).
    public var memberId: UUID
    public var balance: Int64
    /// Points that expire within the window asked for (including any past due but not yet
    /// written off by the expiry job).
    public var expiringSoon: Int64
    /// The most recent ledger entries, newest first.
    public var recent: [Entry]
}

/// Reads a member's account for the consumer pages.
public struct MemberAccountStore: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The account of `member` (followed to its survivor if merged), with points expiring within
    /// `expiringWithinDays` and the `entries` most recent ledger entries.
    public func account(of member: UUID, expiringWithinDays days: Int = 30, entries: Int = 20) async throws -> MemberAccount {
        let rows = try await database.query(
            """
            SELECT m.id, m.balance, expiring.points
            FROM members m CROSS JOIN LATERAL points_expiring(m.id, make_interval(days => \(days)::int4)) AS expiring
            WHERE m.id = (SELECT coalesce(x.merged_into, x.id) FROM members x WHERE x.id = \(member))
            """, logger: logger)
        var found: (UUID, Int64, Int64)?
        for try await row in rows.decode((UUID, Int64, Int64).self) { found = row }
        guard let found else { throw RedemptionStore.memberNotFound(member) }
        let (holder, balance, expiring) = found
        let history = try await database.query(
            """
            SELECT kind, points, balance_after, created_at FROM ledger_entries
            WHERE member_id = \(holder) ORDER BY id DESC LIMIT \(entries)
            """, logger: logger)
        var recent: [MemberAccount.Entry] = []
        for try await (kind, points, after, at) in history.decode((String, Int64, Int64, Date).self) {
            recent.append(.init(kind: kind, points: points, balanceAfter: after, createdAt: at))
        }
        return MemberAccount(memberId: holder, balance: balance, expiringSoon: expiring, recent: recent)
    }
}
