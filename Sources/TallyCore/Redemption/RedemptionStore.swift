import Foundation
import Logging
import PostgresNIO

/// Redeems rewards for members and cancels redemptions, each through one call of its
/// PostgreSQL function (`redeem_reward`, `cancel_redemption` in db/functions),
/// which checks and changes points, lots, stock and the ledger together or not at all.
public struct RedemptionStore: Sendable {
    public static let maxPageSize = 200
    public static let maxQuantity = 100

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Redeems `quantity` units of reward `sku` for `member` (or the member it was merged
    /// into), on the caller's connection (inside its transaction, if it has one). One round trip.
    public func redeem(
        member: UUID, sku: String, quantity: Int, channel: String, actor: String, on connection: PostgresConnection
    ) async throws -> RedeemOutcome {
        guard (1...Self.maxQuantity).contains(quantity) else {
            throw StoreError(.invalid, .invalidQuantity, "quantity is between 1 and \(Self.maxQuantity)")
        }
        guard ChannelName(rawValue: channel) != nil else { throw ChannelName.invalid }
        try SKU.check(sku, field: "reward")
        let voucher = Voucher.generate()
        return try await translatingUnknownMember(member) {
            let statement = RedeemStatement(
                member: member, sku: sku, quantity: Int32(quantity), channel: channel, actor: actor, voucher: voucher)
            for try await (outcome, holder, id, points, balance, name, createdAt, cancellableUntil) in try await connection.execute(
                statement, logger: logger)
            {
                guard outcome == "redeemed" else {
                    guard let refusal = RedemptionRefusal(rawValue: outcome) else {
                        throw UnexpectedSQLOutcome(function: "redeem_reward", outcome: outcome)
                    }
                    return .refused(refusal, balance: balance)
                }
                guard let id, let points else { break }
                return .redeemed(
                    Redemption(
                        id: id, memberId: holder, reward: sku, rewardName: name ?? sku, quantity: quantity, points: points,
                        voucher: voucher, status: "issued", channel: channel, createdAt: createdAt, cancelledAt: nil,
                        cancellableUntil: cancellableUntil, balance: balance
                    ))
            }
            throw StoreError(.conflict, .redemptionFailed, "the redemption returned no outcome")
        }
    }

    /// Cancels a redemption within the programme's window: points go back to the lots they
    /// came from, units back to stock.
    public func cancel(redemption: UUID, reason: String, actor: String) async throws -> CancelOutcome {
        try TextRules.check(reason, field: "reason", invalid: .invalidReason, lengths: 1...500)
        let logger = self.logger
        return try await database.transaction(logger: logger) { tx in
            let rows = try await tx.query(
                """
                SELECT outcome, balance FROM cancel_redemption(\(redemption), \(reason), \(actor))
                """, logger: logger)
            var result: (outcome: String, balance: Int64?)?
            for try await row in rows.decode((String, Int64?).self) { result = row }
            guard let result else { throw Self.notFound(redemption) }
            guard let outcome = CancelSQLOutcome(rawValue: result.outcome) else {
                throw UnexpectedSQLOutcome(function: "cancel_redemption", outcome: result.outcome)
            }
            guard outcome != .unknownRedemption, var cancelled = try await Self.read(redemption, on: tx, logger: logger) else {
                throw Self.notFound(redemption)
            }
            switch outcome {
            case .cancelled:
                cancelled.balance = result.balance
                return .cancelled(cancelled)
            case .alreadyCancelled: return .alreadyCancelled
            case .windowClosed: return .windowClosed(cancelled)
            case .unknownRedemption: throw Self.notFound(redemption)
            }
        }
    }

    /// What `cancel_redemption` returns as its `outcome`.
    enum CancelSQLOutcome: String, CaseIterable {
        case cancelled
        case alreadyCancelled = "already_cancelled"
        case windowClosed = "window_closed"
        case unknownRedemption = "unknown_redemption"
    }

    /// The member whose account `member` is now: itself, or the survivor it was merged into.
    public func holder(of member: UUID) async throws -> UUID {
        let rows = try await database.query("SELECT coalesce(merged_into, id) FROM members WHERE id = \(member)", logger: logger)
        for try await holder in rows.decode(UUID.self) { return holder }
        throw Self.memberNotFound(member)
    }

    /// A member's redemptions, newest first, before `cursor` (from the previous page).
    public func list(member: UUID, before cursor: Int64?, limit: Int) async throws -> (items: [Redemption], next: Int64?) {
        let holder = try await holder(of: member)
        let limit = min(max(limit, 1), Self.maxPageSize)
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns) WHERE r.member_id = \(holder) AND (\(cursor)::int8 IS NULL OR r.ledger_entry_id < \(cursor))
            ORDER BY r.ledger_entry_id DESC LIMIT \(limit)
            """, logger: logger)
        var items: [Redemption] = []
        var last: Int64?
        for try await row in rows {
            let (redemption, entry) = try Self.decode(row)
            items.append(redemption)
            last = entry
        }
        return (items, items.count == limit ? last : nil)
    }

    /// All members' redemptions matching `filter`, newest first, before `cursor` (from the previous page).
    public func search(_ filter: RedemptionFilter, before cursor: Int64?, limit: Int) async throws -> (items: [Redemption], next: Int64?) {
        if let status = filter.status, status != "issued" && status != "cancelled" {
            throw StoreError(.invalid, .invalidStatus, "status is issued or cancelled")
        }
        if let reward = filter.reward { try SKU.check(reward, field: "reward") }
        var member: UUID?
        if let given = filter.member { member = try await holder(of: given) }
        let limit = min(max(limit, 1), Self.maxPageSize)
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns)
            WHERE (\(member)::uuid IS NULL OR r.member_id = \(member)) AND (\(filter.reward)::text IS NULL OR w.sku = \(filter.reward))
              AND (\(filter.status)::text IS NULL OR r.status = \(filter.status))
              AND (\(filter.from)::timestamptz IS NULL OR r.created_at >= \(filter.from))
              AND (\(filter.to)::timestamptz IS NULL OR r.created_at < \(filter.to))
              AND (\(cursor)::int8 IS NULL OR r.ledger_entry_id < \(cursor))
            ORDER BY r.ledger_entry_id DESC LIMIT \(limit)
            """, logger: logger)
        var items: [Redemption] = []
        var last: Int64?
        for try await row in rows {
            let (redemption, entry) = try Self.decode(row)
            items.append(redemption)
            last = entry
        }
        return (items, items.count == limit ? last : nil)
    }

    /// One redemption, by id.
    public func get(id: UUID) async throws -> Redemption {
        let logger = self.logger
        return try await database.withConnection { connection in
            guard let redemption = try await Self.read(id, on: connection, logger: logger) else { throw Self.notFound(id) }
            return redemption
        }
    }

    static func read(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Redemption? {
        let rows = try await connection.query("SELECT \(unescaped: columns) WHERE r.id = \(id)", logger: logger)
        for try await row in rows { return try decode(row).redemption }
        return nil
    }

    /// A redemption's columns and the tables they come from; the ledger entry's id orders
    /// pages (it grows with time and is unique).
    static let columns = """
        r.id, r.member_id, w.sku, w.name, r.quantity, r.points, r.voucher, r.status, r.channel, r.created_at,
        r.cancelled_at, CASE WHEN r.status = 'issued' THEN r.created_at + make_interval(hours => s.redemption_cancel_hours) END,
        r.ledger_entry_id
        FROM redemptions r JOIN rewards w ON w.id = r.reward_id CROSS JOIN programme_settings s
        """

    static func decode(_ row: PostgresRow) throws -> (redemption: Redemption, entry: Int64) {
        let (id, member, sku, name, quantity, points, voucher, status, channel, created, cancelled, until, entry) =
            try row.decode((UUID, UUID, String, String, Int, Int64, String, String, String, Date, Date?, Date?, Int64).self)
        let redemption = Redemption(
            id: id, memberId: member, reward: sku, rewardName: name, quantity: quantity, points: points, voucher: voucher,
            status: status, channel: channel, createdAt: created, cancelledAt: cancelled, cancellableUntil: until, balance: nil
        )
        return (redemption, entry)
    }

    /// `lock_member` raises no_data_found (P0002) for a member that does not exist.
    private func translatingUnknownMember<T>(_ member: UUID, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error where DatabaseError(error)?.sqlState == "P0002" {
            throw Self.memberNotFound(member)
        }
    }

    static func memberNotFound(_ member: UUID) -> StoreError {
        StoreError(.notFound, .memberNotFound, "no member \(member.uuidString.lowercased())")
    }

    static func notFound(_ redemption: UUID) -> StoreError {
        StoreError(.notFound, .redemptionNotFound, "no redemption \(redemption.uuidString.lowercased())")
    }
}
