import Foundation
import Logging
import PostgresNIO

/// A group of members for a campaign, by how recently and how often they claimed, or by tier.
public struct Segment: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// First claim within the last `days` days.
        case new
        /// First claim before the last `days` days, and a claim within them: they came back.
        case returning
        /// No claim for `lapsedDays` days or more.
        case lapsed
        /// Everybody (narrowed by `tier`, if given).
        case all
    }

    public var kind: Kind
    public var days: Int
    public var lapsedDays: Int
    /// Only members of this tier.
    public var tier: String?

    public init(kind: Kind, days: Int = 30, lapsedDays: Int = 90, tier: String? = nil) {
        self.kind = kind
        self.days = days
        self.lapsedDays = lapsedDays
        self.tier = tier
    }

    public static let header = "member_id,phone,tier,balance,lifetime_earned,claims,first_claim_at,last_claim_at\n"
}

/// Streams a segment's members as CSV rows, straight from a PostgreSQL cursor.
public struct SegmentExport: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Starts the segment's query, so a bad query fails before the response begins.
    public func open(_ segment: Segment) async throws -> SegmentRows {
        guard (1...3650).contains(segment.days), (1...3650).contains(segment.lapsedDays) else {
            throw StoreError(.invalid, .invalidDays, "days and lapsed_days are 1 to 3650")
        }
        // A member's claims include those of members merged into it (counted under the survivor).
        // Claims (by code), members (by id) and identities (by their own key) are each read in a
        // CTE of their own and joined by id afterwards: Citus joins tables on one key only.
        let rows = try await database.query(
            """
            WITH holders AS MATERIALIZED (
                SELECT m.id, coalesce(m.merged_into, m.id) AS member_id FROM members m),
            claimed AS MATERIALIZED (
                SELECT c.member_id, count(*) AS claims, min(c.claimed_at) AS first_at, max(c.claimed_at) AS last_at
                FROM claims c WHERE c.member_id IS NOT NULL GROUP BY 1),
            activity AS MATERIALIZED (
                SELECT h.member_id, sum(c.claims)::int8 AS claims, min(c.first_at) AS first_at, max(c.last_at) AS last_at
                FROM claimed c JOIN holders h ON h.id = c.member_id GROUP BY 1),
            phones AS MATERIALIZED (
                SELECT i.member_id, min(i.external_id) AS phone FROM member_identities i WHERE i.channel = 'phone' GROUP BY 1)
            SELECT m.id, p.phone, m.tier, m.balance, m.lifetime_earned, coalesce(a.claims, 0), a.first_at, a.last_at
            FROM members m LEFT JOIN activity a ON a.member_id = m.id LEFT JOIN phones p ON p.member_id = m.id
            WHERE m.merged_into IS NULL
              AND (\(segment.tier)::text IS NULL OR m.tier = \(segment.tier)::text)
              AND CASE \(segment.kind.rawValue)::text
                  WHEN 'new' THEN a.first_at >= now() - make_interval(days => \(segment.days)::int)
                  WHEN 'returning' THEN a.first_at < now() - make_interval(days => \(segment.days)::int)
                                    AND a.last_at >= now() - make_interval(days => \(segment.days)::int)
                  WHEN 'lapsed' THEN a.last_at < now() - make_interval(days => \(segment.lapsedDays)::int)
                  ELSE true END
            ORDER BY m.id
            """, logger: logger)
        return SegmentRows(rows: rows)
    }
}

/// A segment's members as they arrive from PostgreSQL, written out as CSV.
public struct SegmentRows: Sendable {
    let rows: PostgresRowSequence

    /// Calls `write` with chunks of CSV lines (without the header).
    public func write(chunkLines: Int = 1000, _ write: ([UInt8]) async throws -> Void) async throws {
        var chunk: [UInt8] = []
        var lines = 0
        let time = ISO8601DateFormatter()
        for try await (id, phone, tier, balance, earned, claims, first, last) in rows.decode(
            (UUID, String?, String?, Int64, Int64, Int64, Date?, Date?).self
        ) {
            let fields = [
                id.uuidString.lowercased(), phone ?? "", tier ?? "", String(balance), String(earned), String(claims),
                first.map(time.string(from:)) ?? "", last.map(time.string(from:)) ?? "",
            ]
            // No field can hold a comma, quote or line break: ids, E.164 numbers, tier names, numbers, times.
            chunk.append(contentsOf: fields.joined(separator: ",").utf8)
            chunk.append(UInt8(ascii: "\n"))
            lines += 1
            if lines == chunkLines {
                try await write(chunk)
                chunk.removeAll(keepingCapacity: true)
                lines = 0
            }
        }
        if !chunk.isEmpty { try await write(chunk) }
    }
}
