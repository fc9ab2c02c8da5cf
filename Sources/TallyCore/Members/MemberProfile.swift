import Foundation
import Logging
import PostgresNIO

/// A member as the brand's CRM sees it.
public struct MemberProfile: Sendable, Codable, Equatable {
    public struct LinkedIdentity: Sendable, Codable, Equatable {
        public var channel: String
        public var externalId: String
        public var linkedAt: Date
    }

    /// Points that expire within 30, 60 and 90 days (each includes the shorter spans).
    public struct Expiring: Sendable, Codable, Equatable {
        public var next30Days: Int64
        public var next60Days: Int64
        public var next90Days: Int64
    }

    /// Claims of one product by this member.
    public struct ProductCount: Sendable, Codable, Equatable {
        public var sku: String
        public var name: String
        public var claims: Int64
    }

    public var id: UUID
    public var balance: Int64
    public var lifetimeEarned: Int64
    public var lifetimeRedeemed: Int64
    public var lifetimeExpired: Int64
    public var tier: String?
    public var createdAt: Date
    public var identities: [LinkedIdentity]
    /// Members merged into this one; their history is part of this member's.
    public var mergedFrom: [UUID]
    public var expiring: Expiring
    public var firstScanAt: Date?
    public var lastScanAt: Date?
    public var claims: Int64
    /// Claims by channel (`web` for the landing page, else the channel that claimed).
    public var claimsByChannel: [String: Int64]
    /// Claims by the region printed on the batch (`unknown` for batches without one).
    public var claimsByRegion: [String: Int64]
    public var claimsByProduct: [ProductCount]
}

/// Looks members up for the CRM.
public struct MemberDirectory: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Where a member id leads: the member itself, or the survivor it was merged into.
    public enum Lookup: Sendable, Equatable {
        case member(UUID)
        case merged(into: UUID)
    }

    /// Whether `id` is a member, or was one and was merged; 404 otherwise.
    public func lookup(_ id: UUID) async throws -> Lookup {
        let rows = try await database.query("SELECT merged_into FROM members WHERE id = \(id)", logger: logger)
        for try await merged in rows.decode(UUID?.self) {
            return merged.map { .merged(into: $0) } ?? .member(id)
        }
        throw StoreError(.notFound, .memberNotFound, "no member \(id.uuidString.lowercased())")
    }

    /// The member holding `identity` (phone numbers are normalised first).
    public func find(_ identity: Identity) async throws -> UUID {
        let identity = try IdentityLinks.normalised(identity)
        let rows = try await database.query(
            """
            SELECT member_id FROM member_identities WHERE channel = \(identity.channel) AND external_id = \(identity.externalId)
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        throw StoreError(.notFound, .memberNotFound, "no member has \(identity.channel) \(identity.externalId)")
    }

    /// The profile of a member that was not merged away (see `lookup`).
    public func profile(of id: UUID) async throws -> MemberProfile {
        var profile: MemberProfile?
        // Counters, expiring points and claim times in one statement; the member's own claims
        // and those of members merged into it.
        let rows = try await database.query(
            """
            WITH family AS (SELECT \(id)::uuid AS id UNION ALL SELECT id FROM members WHERE merged_into = \(id))
            SELECT m.id, m.balance, m.lifetime_earned, m.lifetime_redeemed, m.lifetime_expired, m.tier, m.created_at,
                   coalesce((SELECT sum(remaining) FROM point_lots WHERE member_id = m.id AND remaining > 0
                             AND expires_at <= now() + interval '30 days'), 0)::int8,
                   coalesce((SELECT sum(remaining) FROM point_lots WHERE member_id = m.id AND remaining > 0
                             AND expires_at <= now() + interval '60 days'), 0)::int8,
                   coalesce((SELECT sum(remaining) FROM point_lots WHERE member_id = m.id AND remaining > 0
                             AND expires_at <= now() + interval '90 days'), 0)::int8,
                   (SELECT min(s.scanned_at) FROM scans s WHERE s.member_id IN (SELECT id FROM family)),
                   (SELECT max(s.scanned_at) FROM scans s WHERE s.member_id IN (SELECT id FROM family)),
                   (SELECT count(*) FROM claims c WHERE c.member_id IN (SELECT id FROM family)),
                   array(SELECT id FROM family WHERE id <> m.id)
            FROM members m WHERE m.id = \(id) AND m.merged_into IS NULL
            """, logger: logger)
        for try await row in rows {
            let (memberID, balance, earned, redeemed, expired, tier, created, in30, in60, in90, first, last, claims, mergedFrom) =
                try row.decode((UUID, Int64, Int64, Int64, Int64, String?, Date, Int64, Int64, Int64, Date?, Date?, Int64, [UUID]).self)
            profile = MemberProfile(
                id: memberID, balance: balance, lifetimeEarned: earned, lifetimeRedeemed: redeemed, lifetimeExpired: expired,
                tier: tier, createdAt: created, identities: [], mergedFrom: mergedFrom,
                expiring: .init(next30Days: in30, next60Days: in60, next90Days: in90),
                firstScanAt: first, lastScanAt: last, claims: claims,
                claimsByChannel: [:], claimsByRegion: [:], claimsByProduct: []
            )
        }
        guard var profile else {
            throw StoreError(.notFound, .memberNotFound, "no member \(id.uuidString.lowercased())")
        }
        let identities = try await database.query(
            """
            SELECT channel, external_id, created_at FROM member_identities WHERE member_id = \(id) ORDER BY created_at, channel
            """, logger: logger)
        for try await (channel, external, at) in identities.decode((String, String, Date).self) {
            profile.identities.append(.init(channel: channel, externalId: external, linkedAt: at))
        }
        // Breakdowns: (dimension, key, name, count) rows for channel, region and product.
        let breakdown = try await database.query(
            """
            WITH mine AS (
                SELECT c.channel, coalesce(b.region, 'unknown') AS region, p.sku, p.name
                FROM claims c JOIN batches b ON b.id = c.batch_id JOIN products p ON p.id = b.product_id
                WHERE c.member_id = \(id) OR c.member_id IN (SELECT id FROM members WHERE merged_into = \(id)))
            SELECT 'channel', channel, '', count(*) FROM mine GROUP BY channel
            UNION ALL SELECT 'region', region, '', count(*) FROM mine GROUP BY region
            UNION ALL SELECT 'product', sku, name, count(*) FROM mine GROUP BY sku, name
            """, logger: logger)
        for try await (dimension, key, name, count) in breakdown.decode((String, String, String, Int64).self) {
            switch dimension {
            case "channel": profile.claimsByChannel[key] = count
            case "region": profile.claimsByRegion[key] = count
            default: profile.claimsByProduct.append(.init(sku: key, name: name, claims: count))
            }
        }
        profile.claimsByProduct.sort { ($0.claims, $1.sku) > ($1.claims, $0.sku) }
        return profile
    }
}
