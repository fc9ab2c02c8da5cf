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
        // The holder, its balance and its points expiring, each a look-up of its own: on Citus a
        // statement that joins a member's row with a function reading its lots cannot be planned.
        var holder: UUID?
        let holders = try await database.query(
            "SELECT coalesce(merged_into, id) FROM members WHERE id = \(member)", logger: logger)
        for try await id in holders.decode(UUID.self) { holder = id }
        guard let holder else { throw RedemptionStore.memberNotFound(member) }
        var balance: Int64 = 0
        let balances = try await database.query("SELECT balance FROM members WHERE id = \(holder)", logger: logger)
        for try await points in balances.decode(Int64.self) { balance = points }
        let expiringRows = try await database.query(
            "SELECT points FROM points_expiring(\(holder), make_interval(days => \(days)::int4))", logger: logger)
        var expiring: Int64 = 0
        for try await points in expiringRows.decode(Int64.self) { expiring = points }
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
