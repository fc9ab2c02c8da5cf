import Foundation
import Logging
import PostgresNIO

/// The rewards catalogue. Redeeming and cancelling are `RedemptionStore`'s; this store keeps
/// the catalogue and its stock, and every stock change keeps I4:
/// `initial_stock − stock` = units in live redemptions.
public struct RewardStore: Sendable {
    public static let maxPageSize = 200

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func create(_ new: NewReward) async throws -> Reward {
        try SKU.check(new.sku)
        var terms = RewardTerms(
            name: new.name, description: new.description ?? "", imageURL: new.imageURL, costPoints: new.costPoints,
            perMemberLimit: new.perMemberLimit, activeFrom: new.activeFrom, activeUntil: new.activeUntil, channels: new.channels
        )
        try terms.validate()
        if let stock = new.stock { try RewardTerms.validateStock(stock) }
        do {
            let logger = self.logger
            return try await database.transaction(logger: logger) { tx in
                let rows = try await tx.query(
                    """
                    INSERT INTO rewards (sku, name, description, image_url, cost_points, initial_stock,
                                         per_member_limit, active_from, active_until, channels)
                    VALUES (\(new.sku), \(terms.name), \(terms.description), \(terms.imageURL), \(terms.costPoints),
                            \(new.stock), \(terms.perMemberLimit), \(terms.activeFrom), \(terms.activeUntil), \(terms.channels))
                    RETURNING id
                    """, logger: logger)
                var id: Int64?
                for try await value in rows.decode(Int64.self) { id = value }
                guard let id else { throw StoreError(.conflict, .notCreated, "the reward was not created") }
                return try await Self.setStock(reward: id, to: new.stock, on: tx, logger: logger)
            }
        } catch let error where DatabaseError(error)?.sqlState == DatabaseError.uniqueViolation {
            throw StoreError(.conflict, .skuTaken, "a reward with this sku already exists")
        }
    }

    /// Changes what `patch` sends, on the locked reward: redemptions and cancellations of it
    /// (which hold it shared, db/functions/hold_reward.sql) wait, so the stock arithmetic sees
    /// every live redemption.
    public func update(sku: String, _ patch: RewardPatch) async throws -> Reward {
        if let newSKU = patch.sku, newSKU != sku {
            throw StoreError(.invalid, .skuImmutable, "a reward's sku cannot change")
        }
        guard SKU.isValid(sku) else { throw Self.notFound(sku) }
        if case .set = patch.stock, patch.addStock != nil {
            throw StoreError(.invalid, .conflictingStockChanges, "send stock or add_stock, not both")
        }
        let logger = self.logger
        return try await database.transaction(logger: logger) { tx in
            // Held before its row is read: a redemption reads the terms it checks after its hold.
            let ids = try await tx.query("SELECT id FROM rewards WHERE sku = \(sku)", logger: logger)
            var heldID: Int64?
            for try await id in ids.decode(Int64.self) { heldID = id }
            guard let heldID else { throw Self.notFound(sku) }
            try await tx.query("SELECT hold_reward(\(heldID), true)", logger: logger)
            let rows = try await tx.query(
                """
                SELECT id, name, description, image_url, cost_points, initial_stock, \(unescaped: Self.stock), per_member_limit,
                       active_from, active_until, channels
                FROM rewards WHERE sku = \(sku) FOR UPDATE
                """, logger: logger)
            var found: (id: Int64, terms: RewardTerms, initialStock: Int64?, stock: Int64?)?
            for try await row in rows {
                let (id, name, description, image, cost, initial, stock, limit, from, until, channels) =
                    try row.decode((Int64, String, String, String?, Int64, Int64?, Int64?, Int?, Date?, Date?, [String]?).self)
                let terms = RewardTerms(
                    name: name, description: description, imageURL: image, costPoints: cost, perMemberLimit: limit,
                    activeFrom: from, activeUntil: until, channels: channels
                )
                found = (id, terms, initial, stock)
            }
            guard let current = found else { throw Self.notFound(sku) }
            let terms = try Self.apply(patch, to: current.terms)
            var (initialStock, stock) = (current.initialStock, current.stock)
            switch patch.stock {
            case .keep: break
            case .clear: (initialStock, stock) = (nil, nil)
            case .set(let available):
                try RewardTerms.validateStock(available)
                let live = try await Self.liveUnits(reward: current.id, on: tx, logger: logger)
                (initialStock, stock) = (available + live, available)
            }
            if let added = patch.addStock {
                guard let before = stock, let initial = initialStock else {
                    throw StoreError(.invalid, .stockUnlimited, "this reward's stock is unlimited; set stock to limit it first")
                }
                guard added != 0, added.magnitude <= RewardTerms.maxStock.magnitude else {
                    throw StoreError(
                        .invalid, .invalidAddStock, "add_stock is a non-zero number of units, at most \(RewardTerms.maxStock) either way")
                }
                guard before + added >= 0 else {
                    throw StoreError(.invalid, .stockBelowZero, "only \(before) units are left to withdraw")
                }
                (initialStock, stock) = (initial + added, before + added)
                try RewardTerms.validateStock(before + added)
            }
            try await tx.query(
                """
                UPDATE rewards SET name = \(terms.name), description = \(terms.description), image_url = \(terms.imageURL),
                    cost_points = \(terms.costPoints), initial_stock = \(initialStock),
                    per_member_limit = \(terms.perMemberLimit), active_from = \(terms.activeFrom),
                    active_until = \(terms.activeUntil), channels = \(terms.channels), updated_at = now()
                WHERE id = \(current.id)
                """, logger: logger)
            return try await Self.setStock(reward: current.id, to: stock, on: tx, logger: logger)
        }
    }

    /// Sets the reward's available units (nil: unlimited) and returns the reward as it now is.
    static func setStock(reward: Int64, to units: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> Reward {
        try await connection.query("SELECT set_reward_stock(\(reward), \(units))", logger: logger)
        let rows = try await connection.query("SELECT \(unescaped: columns) FROM rewards WHERE id = \(reward)", logger: logger)
        return try await single(rows)!
    }

    public func get(sku: String) async throws -> Reward {
        guard SKU.isValid(sku) else { throw Self.notFound(sku) }
        let rows = try await database.query("SELECT \(unescaped: Self.columns) FROM rewards WHERE sku = \(sku)", logger: logger)
        guard let reward = try await Self.single(rows) else { throw Self.notFound(sku) }
        return reward
    }

    /// Rewards in SKU order after `after` (the last SKU of the previous page); `activeNow`
    /// keeps those inside their window, `channel` those redeemable through it.
    public func list(after: String?, limit: Int, activeNow: Bool = false, channel: String? = nil) async throws -> [Reward] {
        if let channel, ChannelName(rawValue: channel) == nil { throw ChannelName.invalid }
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns) FROM rewards
            WHERE (\(after)::text IS NULL OR sku > \(after))
              AND (NOT \(activeNow) OR (\(unescaped: Self.activeNow)))
              AND (\(channel)::text IS NULL OR channels IS NULL OR \(channel) = ANY (channels))
            ORDER BY sku LIMIT \(min(max(limit, 1), Self.maxPageSize))
            """, logger: logger)
        var rewards: [Reward] = []
        for try await row in rows { rewards.append(try Self.decode(row)) }
        return rewards
    }

    /// `patch` applied to `terms`, checked as a whole.
    static func apply(_ patch: RewardPatch, to terms: RewardTerms) throws -> RewardTerms {
        var terms = terms
        guard let name = patch.name.applied(to: terms.name) else {
            throw StoreError(.invalid, .invalidName, "name cannot be null")
        }
        guard let cost = patch.costPoints.applied(to: terms.costPoints) else {
            throw StoreError(.invalid, .invalidCostPoints, "cost_points cannot be null")
        }
        terms.name = name
        terms.costPoints = cost
        terms.description = patch.description.applied(to: terms.description) ?? ""
        terms.imageURL = patch.imageURL.applied(to: terms.imageURL)
        terms.perMemberLimit = patch.perMemberLimit.applied(to: terms.perMemberLimit)
        terms.activeFrom = patch.activeFrom.applied(to: terms.activeFrom)
        terms.activeUntil = patch.activeUntil.applied(to: terms.activeUntil)
        terms.channels = patch.channels.applied(to: terms.channels)
        try terms.validate()
        return terms
    }

    /// Units of `reward` in live (issued) redemptions. Read under the reward's lock, which
    /// every redemption and cancellation also takes (shared), so no change is in flight.
    static func liveUnits(reward: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query(
            """
            SELECT coalesce(sum(quantity), 0)::int8 FROM redemptions WHERE reward_id = \(reward) AND status = 'issued'
            """, logger: logger)
        for try await units in rows.decode(Int64.self) { return units }
        return 0
    }

    static func notFound(_ sku: String) -> StoreError {
        StoreError(.notFound, .rewardNotFound, "no reward with sku \(sku)")
    }

    /// Inside the active window now (as `redeem_reward` decides it).
    static let activeNow = "(active_from IS NULL OR active_from <= now()) AND (active_until IS NULL OR now() < active_until)"

    /// The units available: the sum of the reward's stock slices (NULL: unlimited).
    static let stock = "(SELECT sum(s.units) FROM reward_stock s WHERE s.reward_id = rewards.id)::int8"

    static let columns = """
        sku, name, description, image_url, cost_points, initial_stock, \(stock) AS stock, per_member_limit,
        active_from, active_until, channels, \(activeNow), created_at, updated_at
        """

    static func decode(_ row: PostgresRow) throws -> Reward {
        let (sku, name, description, image, cost, initial, stock, limit, from, until, channels, active, created, updated) =
            try row.decode((String, String, String, String?, Int64, Int64?, Int64?, Int?, Date?, Date?, [String]?, Bool, Date, Date).self)
        return Reward(
            sku: sku, name: name, description: description, imageURL: image, costPoints: cost, initialStock: initial,
            stock: stock, perMemberLimit: limit, activeFrom: from, activeUntil: until, channels: channels,
            active: active, createdAt: created, updatedAt: updated
        )
    }

    static func single(_ rows: PostgresRowSequence) async throws -> Reward? {
        for try await row in rows { return try decode(row) }
        return nil
    }
}
