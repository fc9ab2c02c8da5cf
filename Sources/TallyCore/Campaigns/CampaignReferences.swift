import Logging
import PostgresNIO

/// What a definition names that must exist, looked up in the transaction that stores it: the
/// time zone (as PostgreSQL knows it, since the claim path counts days and hours in it), the
/// products by SKU, the batches, the tiers, and the rewards of its voucher or prizes by SKU.
struct CampaignReferences: Sendable {
    var productIDs: [Int64]?
    var voucherRewardID: Int64?
    /// Each prize's reward id (nil for a points prize), in prize order.
    var prizeRewardIDs: [Int64?]

    /// Looks `definition`'s references up; the first one missing is a 422 with its own code.
    init(_ definition: CampaignDefinition, on connection: PostgresConnection, logger: Logger) async throws {
        let zones = try await connection.query(
            "SELECT EXISTS (SELECT FROM pg_timezone_names WHERE name = \(definition.timeZone))", logger: logger)
        for try await known in zones.decode(Bool.self) where !known {
            throw StoreError(.invalid, .invalidTimeZone, "time_zone \(definition.timeZone) is not a time zone the database knows")
        }
        if let skus = definition.productSKUs {
            let ids = try await Self.ids(
                "SELECT sku, id FROM products WHERE sku = ANY (\(skus))", on: connection, logger: logger)
            productIDs = try skus.map { sku in
                guard let id = ids[sku] else { throw StoreError(.invalid, .unknownProduct, "skus: no product has the SKU \(sku)") }
                return id
            }
        }
        if let batches = definition.batchIDs {
            let found = try await Self.existing(
                "SELECT id FROM batches WHERE id = ANY (\(batches))", Int64.self, on: connection, logger: logger)
            if let missing = batches.first(where: { !found.contains($0) }) {
                throw StoreError(.invalid, .unknownBatch, "batches: there is no batch \(missing)")
            }
        }
        if let tiers = definition.tiers {
            let found = try await Self.existing(
                "SELECT name FROM tiers WHERE name = ANY (\(tiers))", String.self, on: connection, logger: logger)
            if let missing = tiers.first(where: { !found.contains($0) }) {
                throw StoreError(.invalid, .unknownTier, "tiers: the programme has no tier \(missing)")
            }
        }
        let rewardSKUs = [definition.voucherSKU].compactMap { $0 } + definition.prizes.compactMap(\.rewardSKU)
        let rewards = try await Self.ids("SELECT sku, id FROM rewards WHERE sku = ANY (\(rewardSKUs))", on: connection, logger: logger)
        func reward(_ sku: String, _ field: String) throws -> Int64 {
            guard let id = rewards[sku] else { throw StoreError(.invalid, .unknownReward, "\(field): no reward has the SKU \(sku)") }
            return id
        }
        voucherRewardID = try definition.voucherSKU.map { try reward($0, "the voucher's reward") }
        prizeRewardIDs = try definition.prizes.enumerated().map { index, prize in
            try prize.rewardSKU.map { try reward($0, "prizes.\(index).reward") }
        }
    }

    private static func existing<T: PostgresDecodable & Hashable & Sendable>(
        _ query: PostgresQuery, _: T.Type, on connection: PostgresConnection, logger: Logger
    ) async throws -> Set<T> {
        var found = Set<T>()
        for try await value in try await connection.query(query, logger: logger).decode(T.self) { found.insert(value) }
        return found
    }

    private static func ids(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [String: Int64] {
        var ids: [String: Int64] = [:]
        for try await (sku, id) in try await connection.query(query, logger: logger).decode((String, Int64).self) { ids[sku] = id }
        return ids
    }
}
