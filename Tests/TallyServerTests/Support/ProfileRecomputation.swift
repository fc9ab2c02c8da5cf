import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import TallyTestSupport
import Testing

@testable import TallyCore
@testable import TallyServer

/// A member's profile computed from scratch, from the raw tables, as the server did on every read
/// before the rollups (migration 0011): the reference that the profile read from the rollups must
/// equal, byte for byte once encoded.
extension TestApp {
    func recomputedProfile(of id: UUID) async throws -> MemberProfile {
        var profile: MemberProfile?
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
                   array(SELECT id FROM family WHERE id <> m.id ORDER BY id)
            FROM members m WHERE m.id = \(id) AND m.merged_into IS NULL
            """, logger: TestDatabase.logger)
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
        var found = try #require(profile, "no current member \(id)")
        let identities = try await database.query(
            """
            SELECT channel, external_id, created_at FROM member_identities WHERE member_id = \(id) ORDER BY created_at, channel
            """, logger: TestDatabase.logger)
        for try await (channel, external, at) in identities.decode((String, String, Date).self) {
            found.identities.append(.init(channel: channel, externalId: external, linkedAt: at))
        }
        let breakdown = try await database.query(
            """
            WITH mine AS (
                SELECT c.channel, coalesce(b.region, 'unknown') AS region, p.sku, p.name
                FROM claims c JOIN batches b ON b.id = c.batch_id JOIN products p ON p.id = b.product_id
                WHERE c.member_id = \(id) OR c.member_id IN (SELECT id FROM members WHERE merged_into = \(id)))
            SELECT 'channel', channel, '', count(*) FROM mine GROUP BY channel
            UNION ALL SELECT 'region', region, '', count(*) FROM mine GROUP BY region
            UNION ALL SELECT 'product', sku, name, count(*) FROM mine GROUP BY sku, name
            """, logger: TestDatabase.logger)
        for try await (dimension, key, name, count) in breakdown.decode((String, String, String, Int64).self) {
            switch dimension {
            case "channel": found.claimsByChannel[key] = count
            case "region": found.claimsByRegion[key] = count
            default: found.claimsByProduct.append(.init(sku: key, name: name, claims: count))
            }
        }
        found.claimsByProduct.sort { ($0.claims, $1.sku) > ($1.claims, $0.sku) }
        return found
    }

    /// Every member's profile as the API answers it (by id, and by each of its identities) is
    /// byte for byte the one recomputed from scratch; a merged member's id redirects; and
    /// `tally check` holds.
    func expectProfilesRecomputed(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var members: [(UUID, merged: Bool)] = []
        for try await row in try await database.query(
            "SELECT id, merged_into IS NOT NULL FROM members ORDER BY id", logger: TestDatabase.logger
        )
        .decode((UUID, Bool).self) {
            members.append(row)
        }
        for (member, merged) in members {
            let response = try await request(.get, "/api/v1/members/\(member)", as: .crmRead)
            if merged {
                #expect(response.status == .movedPermanently, "\(member)", sourceLocation: sourceLocation)
                continue
            }
            let expected = String(
                decoding: try AppRequestContext.jsonEncoder().encode(try await recomputedProfile(of: member)), as: UTF8.self)
            #expect(response.status == .ok, sourceLocation: sourceLocation)
            #expect(String(buffer: response.body) == expected, "\(member)", sourceLocation: sourceLocation)
            for identity in try decode(MemberProfile.self, response).identities {
                let query =
                    identity.channel == "phone"
                    ? "phone=\(identity.externalId.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                    : "channel=\(identity.channel)&external_id=\(identity.externalId)"
                let found = try await request(.get, "/api/v1/members?\(query)", as: .crmRead)
                #expect(String(buffer: found.body) == expected, "\(member) by \(query)", sourceLocation: sourceLocation)
            }
        }
        try await expectInvariants(sourceLocation: sourceLocation)
    }
}
