import Logging
import PostgresNIO

/// Reads the database and reports whether the invariants of DESIGN.md hold.
///
/// I5 (every acknowledged write is stored once) and I6 (no code with a bad tag is claimed)
/// need what clients were told and what they sent, so tests and fault runs check those by
/// comparing their own records with the database.
public struct InvariantChecker: Sendable {
    public struct Finding: Sendable, CustomStringConvertible {
        public let invariant: String
        public let holds: Bool
        public let detail: String

        public var description: String { "\(holds ? "ok  " : "FAIL") \(invariant): \(detail)" }
    }

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func check() async throws -> [Finding] {
        var findings: [Finding] = []

        let claimsWithoutEntry = try await count(
            """
            SELECT count(*) FROM claims c WHERE (
                SELECT count(*) FROM ledger_entries l
                WHERE l.member_id = c.member_id AND l.id = c.ledger_entry_id AND l.kind = 'claim'
                  AND l.kid = c.kid AND l.serial = c.serial AND l.points = c.points) <> 1
            """)
        let entriesWithoutClaim = try await count(
            """
            SELECT count(*) FROM ledger_entries l WHERE l.kind = 'claim' AND NOT EXISTS (
                SELECT 1 FROM claims c WHERE c.kid = l.kid AND c.serial = l.serial AND c.ledger_entry_id = l.id)
            """)
        let claims = try await count("SELECT count(*) FROM claims")
        findings.append(
            Finding(
                invariant: "I1 each code is claimed at most once; each claim has exactly one ledger entry",
                holds: claimsWithoutEntry == 0 && entriesWithoutClaim == 0,
                detail:
                    "\(claims) claims; \(claimsWithoutEntry) without exactly one matching entry; \(entriesWithoutClaim) claim entries without a claim"
            ))

        let wrongBalances = try await count(
            """
            SELECT count(*) FROM members m
            LEFT JOIN (SELECT member_id, sum(points) AS total FROM ledger_entries GROUP BY member_id) l ON l.member_id = m.id
            WHERE m.balance <> coalesce(l.total, 0) OR m.balance < 0
            """)
        let brokenChains = try await count(
            """
            SELECT count(*) FROM members m
            JOIN LATERAL (SELECT balance_after FROM ledger_entries l WHERE l.member_id = m.id ORDER BY l.id DESC LIMIT 1) last ON true
            WHERE last.balance_after <> m.balance
            """)
        // Spendable points are kept twice: as the balance and as what the lots have left.
        let wrongLots = try await count(
            """
            SELECT count(*) FROM members m
            LEFT JOIN (SELECT member_id, sum(remaining) AS total FROM point_lots GROUP BY member_id) p ON p.member_id = m.id
            WHERE m.balance <> coalesce(p.total, 0)
            """)
        let members = try await count("SELECT count(*) FROM members")
        findings.append(
            Finding(
                invariant: "I2 each member's balance = sum of their ledger entries, and ≥ 0",
                holds: wrongBalances == 0 && brokenChains == 0 && wrongLots == 0,
                detail:
                    "\(members) members; \(wrongBalances) with balance ≠ sum(ledger) or < 0; \(brokenChains) whose last entry's balance_after ≠ balance; \(wrongLots) whose lots do not add up to the balance"
            ))

        // Issued, redeemed and expired as the ledger says, and as each member's counters say.
        let rows = try await database.query(
            """
            SELECT coalesce(sum(points) FILTER (WHERE kind IN ('claim', 'campaign', 'adjustment')), 0)::int8,
                   coalesce(-sum(points) FILTER (WHERE kind IN ('redemption', 'redemption_cancel')), 0)::int8,
                   coalesce(-sum(points) FILTER (WHERE kind = 'expiry'), 0)::int8,
                   coalesce(sum(points) FILTER (WHERE kind IN ('merge_in', 'merge_out')), 0)::int8,
                   (SELECT coalesce(sum(balance), 0) FROM members)::int8,
                   (SELECT count(*) FROM members WHERE lifetime_earned - lifetime_redeemed - lifetime_expired <> balance)::int8
            FROM ledger_entries
            """, logger: logger)
        for try await (issued, redeemed, expired, merged, balances, wrongCounters) in rows.decode(
            (Int64, Int64, Int64, Int64, Int64, Int64).self)
        {
            findings.append(
                Finding(
                    invariant: "I3 points issued − redeemed − expired = sum of all balances",
                    holds: issued - redeemed - expired == balances && merged == 0 && wrongCounters == 0,
                    detail:
                        "\(issued) − \(redeemed) − \(expired) = \(issued - redeemed - expired); balances \(balances); merges net \(merged); \(wrongCounters) members whose lifetime counters disagree with their balance"
                ))
        }

        let wrongStock = try await count(
            """
            SELECT count(*) FROM rewards r
            LEFT JOIN LATERAL (SELECT count(*) AS slices, sum(s.units) AS units, bool_or(s.units < 0) AS negative
                               FROM reward_stock s WHERE s.reward_id = r.id) k ON true
            WHERE (r.initial_stock IS NULL) <> (k.slices = 0)
               OR (r.initial_stock IS NOT NULL AND (k.negative OR r.initial_stock - k.units <>
                   coalesce((SELECT sum(x.quantity) FROM redemptions x WHERE x.reward_id = r.id AND x.status = 'issued'), 0)))
            """)
        let rewards = try await count("SELECT count(*) FROM rewards")
        findings.append(
            Finding(
                invariant: "I4 for each reward: initial stock − stock (its slices) = live redemptions; stock ≥ 0",
                holds: wrongStock == 0,
                detail: "\(rewards) rewards; \(wrongStock) whose stock disagrees with their live redemptions"
            ))
        findings.append(try await rollups())
        findings.append(contentsOf: try await campaigns())
        findings.append(try await dashboardRollups())
        return findings
    }

    /// I8 and I9: the campaigns' budgets and awards (db/migrations/0013_campaigns.sql).
    private func campaigns() async throws -> [Finding] {
        let budgets = try await count("SELECT count(*) FROM campaign_budgets")
        let wrongBudgets = try await count(
            """
            SELECT count(*) FROM campaign_budgets b
            WHERE b.total - (SELECT coalesce(sum(s.units), 0) FROM campaign_budget_slices s
                             WHERE s.campaign_id = b.campaign_id AND s.budget = b.budget)
                  <> (SELECT CASE WHEN b.budget = 'points' THEN coalesce(sum(a.points), 0) ELSE count(*) END
                      FROM campaign_awards a
                      WHERE a.campaign_id = b.campaign_id AND a.outcome = 'awarded'
                        AND (b.budget IN ('points', 'awards') OR 'prize:' || a.prize = b.budget))
            """)
        let awards = try await count("SELECT count(*) FROM campaign_awards WHERE outcome = 'awarded'")
        // Each award names a version of its campaign (awards have no foreign keys: see 0013);
        // each award of points is one ledger entry of kind 'campaign' for its campaign, version,
        // code and points; each such entry is an award's; each award's code was claimed; a
        // voucher is a redemption that cost nothing; a draw's ticket and prize are what the
        // campaign's secret gives its code (the published recipe).
        let wrongAwards = try await count(
            """
            SELECT count(*) FROM campaign_awards a
            WHERE NOT EXISTS (SELECT 1 FROM campaign_versions v WHERE v.campaign_id = a.campaign_id AND v.version = a.version)
               OR (a.points > 0 AND (SELECT count(*) FROM ledger_entries l
                                     WHERE l.id = a.ledger_entry_id AND l.kind = 'campaign' AND l.campaign_id = a.campaign_id
                                       AND l.campaign_version = a.version AND l.kid = a.kid AND l.serial = a.serial
                                       AND l.points = a.points) <> 1)
               OR NOT EXISTS (SELECT 1 FROM claims c WHERE c.kid = a.kid AND c.serial = a.serial)
               OR (a.redemption_id IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM redemptions r WHERE r.id = a.redemption_id AND r.points = 0 AND r.reward_id = a.reward_id))
               OR (a.ticket IS NOT NULL AND (
                       a.ticket <> (SELECT campaign_ticket(k.secret, a.kid, a.serial) FROM campaigns k WHERE k.id = a.campaign_id)
                       OR a.prize IS DISTINCT FROM (SELECT p.key FROM campaign_prize(a.campaign_id, a.version, a.ticket) p)))
            """)
        let entriesWithoutAward = try await count(
            """
            SELECT count(*) FROM ledger_entries l WHERE l.kind = 'campaign' AND NOT EXISTS (
                SELECT 1 FROM campaign_awards a WHERE a.campaign_id = l.campaign_id AND a.ledger_entry_id = l.id)
            """)
        return [
            Finding(
                invariant: "I8 for each campaign budget: total − what is left (its slices) = what its awards used; nothing left < 0",
                holds: wrongBudgets == 0,
                detail: "\(budgets) budgets; \(wrongBudgets) whose slices disagree with their awards"
            ),
            Finding(
                invariant: "I9 each campaign award is its ledger entry or voucher, for a claimed code, and each draw is its recipe's",
                holds: wrongAwards == 0 && entriesWithoutAward == 0,
                detail:
                    "\(awards) awards; \(wrongAwards) that disagree with their entry, voucher, claim or draw; \(entriesWithoutAward) campaign entries without an award"
            ),
        ]
    }

    /// I7: each member's rollups (db/migrations/0011_member_rollups.sql) as a recomputation from
    /// claims, scans and points lots finds them. Claims and scans count for the member they name,
    /// or for the survivor it was merged into (merged_into names the last one). Scans before
    /// `programme_settings.scans_dropped_before` may be gone (the retention): a first scan
    /// before it is trusted, and a last scan before it holds when no scan of the member is left.
    private func rollups() async throws -> Finding {
        let rows = try await database.query(
            """
            WITH owned AS (
                SELECT coalesce(o.merged_into, o.id) AS member_id, c.channel, coalesce(b.region, 'unknown') AS region,
                       b.product_id::text AS product
                FROM claims c JOIN members o ON o.id = c.member_id JOIN batches b ON b.id = c.batch_id),
            counted AS (
                SELECT member_id, channel, region, product, count(*) AS n FROM owned
                GROUP BY GROUPING SETS ((member_id, channel), (member_id, region), (member_id, product))),
            claimed AS (
                SELECT member_id, jsonb_object_agg(channel, n) FILTER (WHERE channel IS NOT NULL) AS by_channel,
                       jsonb_object_agg(region, n) FILTER (WHERE region IS NOT NULL) AS by_region,
                       jsonb_object_agg(product, n) FILTER (WHERE product IS NOT NULL) AS by_product
                FROM counted GROUP BY member_id),
            scanned AS (
                SELECT coalesce(o.merged_into, o.id) AS member_id, min(s.scanned_at) AS first, max(s.scanned_at) AS last
                FROM scans s JOIN members o ON o.id = s.member_id GROUP BY 1),
            expiring AS (
                SELECT member_id, expires_on, sum(remaining) AS points FROM point_lots
                WHERE remaining > 0 AND expires_on IS NOT NULL GROUP BY member_id, expires_on)
            SELECT count(*) FILTER (WHERE m.claims_by_channel <> coalesce(c.by_channel, '{}')),
                   count(*) FILTER (WHERE m.claims_by_region <> coalesce(c.by_region, '{}')),
                   count(*) FILTER (WHERE m.claims_by_product <> coalesce(c.by_product, '{}')),
                   count(*) FILTER (
                       WHERE NOT (coalesce(m.first_scan_at < h.dropped_before, false) OR m.first_scan_at IS NOT DISTINCT FROM s.first)
                          OR NOT (m.last_scan_at IS NOT DISTINCT FROM s.last
                                  OR (coalesce(m.last_scan_at < h.dropped_before, false) AND s.last IS NULL))),
                   (SELECT count(DISTINCT coalesce(e.member_id, l.member_id)) FROM member_points_expiring e
                    FULL JOIN expiring l ON l.member_id = e.member_id AND l.expires_on = e.expires_on
                    WHERE e.points IS DISTINCT FROM l.points)
            FROM members m LEFT JOIN claimed c ON c.member_id = m.id LEFT JOIN scanned s ON s.member_id = m.id,
                 (SELECT coalesce(scans_dropped_before, '-infinity') AS dropped_before FROM programme_settings) h
            """, logger: logger)
        var wrong: (channel: Int, region: Int, product: Int, scans: Int, expiring: Int) = (0, 0, 0, 0, 0)
        for try await row in rows.decode((Int, Int, Int, Int, Int).self) { wrong = row }
        return Finding(
            invariant: "I7 each member's rollups = a recomputation from claims, scans and points lots",
            holds: wrong == (0, 0, 0, 0, 0),
            detail:
                "members whose rollups differ: \(wrong.channel) in claims by channel, \(wrong.region) by region, \(wrong.product) by product; \(wrong.scans) in first or last scan; \(wrong.expiring) in points expiring by day"
        )
    }

    func count(_ sql: String) async throws -> Int {
        let rows = try await database.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }
}
