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

    /// Every invariant, as a pass over the database finds it. On plain PostgreSQL each query is
    /// one snapshot. On Citus it is not: a query reads the nodes one after another, and a
    /// transaction committing on them meanwhile looks half done (a scan without its rollup, a
    /// claim without its entry). There a pass that finds a break is made again, up to twice, a
    /// second apart, and the last pass is the answer: a real break fails every pass.
    public func check() async throws -> [Finding] {
        var findings = try await checkOnce()
        for _ in 0..<2 where findings.contains(where: { !$0.holds }) {
            guard try await count("SELECT count(*) FROM pg_extension WHERE extname = 'citus'") > 0 else { break }
            let failing = findings.filter { !$0.holds }.compactMap { $0.invariant.split(separator: " ").first }
            logger.info(
                "checking again: on Citus a pass may see a transaction half committed",
                metadata: ["failing": "\(failing.joined(separator: " "))"])
            try await Task.sleep(for: .seconds(1))
            findings = try await checkOnce()
        }
        return findings
    }

    private func checkOnce() async throws -> [Finding] {
        var findings: [Finding] = []

        // Claims are kept by code and ledger entries by member: each side's columns are read
        // once (MATERIALIZED: Citus reads each alone) and compared here. An entry's key is
        // (member_id, id), so "not exactly one matching entry" is "no matching entry".
        var claims = 0
        var claimsWithoutEntry = 0
        var entriesWithoutClaim = 0
        let claimRows = try await database.query(
            """
            WITH claimed AS MATERIALIZED (SELECT kid, serial, member_id, ledger_entry_id, points FROM claims),
            entries AS MATERIALIZED (SELECT member_id, id, kid, serial, points FROM ledger_entries WHERE kind = 'claim')
            SELECT (SELECT count(*) FROM claimed),
                   (SELECT count(*) FROM claimed c WHERE NOT EXISTS (
                        SELECT 1 FROM entries l WHERE l.member_id = c.member_id AND l.id = c.ledger_entry_id
                          AND l.kid = c.kid AND l.serial = c.serial AND l.points = c.points)),
                   (SELECT count(*) FROM entries l WHERE NOT EXISTS (
                        SELECT 1 FROM claimed c WHERE c.kid = l.kid AND c.serial = l.serial AND c.ledger_entry_id = l.id))
            """, logger: logger)
        for try await row in claimRows.decode((Int, Int, Int).self) { (claims, claimsWithoutEntry, entriesWithoutClaim) = row }
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
        // Two sums side by side, not subqueries in the SELECT list (which Citus cannot plan).
        let rows = try await database.query(
            """
            SELECT l.issued, l.redeemed, l.expired, l.merged, m.balances, m.wrong
            FROM (SELECT coalesce(sum(points) FILTER (WHERE kind IN ('claim', 'campaign', 'adjustment')), 0)::int8 AS issued,
                         coalesce(-sum(points) FILTER (WHERE kind IN ('redemption', 'redemption_cancel')), 0)::int8 AS redeemed,
                         coalesce(-sum(points) FILTER (WHERE kind = 'expiry'), 0)::int8 AS expired,
                         coalesce(sum(points) FILTER (WHERE kind IN ('merge_in', 'merge_out')), 0)::int8 AS merged
                  FROM ledger_entries) l,
                 (SELECT coalesce(sum(balance), 0)::int8 AS balances,
                         count(*) FILTER (WHERE lifetime_earned - lifetime_redeemed - lifetime_expired <> balance)::int8 AS wrong
                  FROM members) m
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

        // The live redemptions by reward read once (MATERIALIZED: Citus keeps them by member).
        let wrongStock = try await count(
            """
            WITH redeemed AS MATERIALIZED (
                SELECT reward_id, sum(quantity) AS quantity FROM redemptions WHERE status = 'issued' GROUP BY reward_id)
            SELECT count(*) FROM rewards r
            LEFT JOIN LATERAL (SELECT count(*) AS slices, sum(s.units) AS units, bool_or(s.units < 0) AS negative
                               FROM reward_stock s WHERE s.reward_id = r.id) k ON true
            LEFT JOIN redeemed x ON x.reward_id = r.id
            WHERE (r.initial_stock IS NULL) <> (k.slices = 0)
               OR (r.initial_stock IS NOT NULL AND (k.negative OR r.initial_stock - k.units <> coalesce(x.quantity, 0)))
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
        // On Citus the awards are kept by member, the ledger and redemptions by member, claims by
        // code, the budgets on the coordinator: each MATERIALIZED part reads one of them, and the
        // checks join the parts.
        let wrongBudgets = try await count(
            """
            WITH used AS MATERIALIZED (
                SELECT a.campaign_id, a.prize, sum(a.points) AS points, count(*) AS awards
                FROM campaign_awards a WHERE a.outcome = 'awarded' GROUP BY a.campaign_id, a.prize)
            SELECT count(*) FROM campaign_budgets b
            WHERE b.total - (SELECT coalesce(sum(s.units), 0) FROM campaign_budget_slices s
                             WHERE s.campaign_id = b.campaign_id AND s.budget = b.budget)
                  <> (SELECT coalesce(sum(CASE WHEN b.budget = 'points' THEN u.points ELSE u.awards END), 0) FROM used u
                      WHERE u.campaign_id = b.campaign_id AND (b.budget IN ('points', 'awards') OR 'prize:' || u.prize = b.budget))
            """)
        let awards = try await count("SELECT count(*) FROM campaign_awards WHERE outcome = 'awarded'")
        // Each award names a version of its campaign (awards have no foreign keys: see 0013);
        // each award of points is one ledger entry of kind 'campaign' for its campaign, version,
        // code and points (ledger ids are unique); each such entry is an award's; each award's
        // code was claimed; a voucher is a redemption that cost nothing; a draw's ticket and prize
        // are what the campaign's secret gives its code (the published recipe).
        let wrongAwards = try await count(
            """
            WITH awards AS MATERIALIZED (
                SELECT a.campaign_id, a.version, a.kid, a.serial, a.points, a.ledger_entry_id, a.redemption_id, a.reward_id,
                       a.ticket, a.prize
                FROM campaign_awards a),
            entries AS MATERIALIZED (
                SELECT l.id, l.campaign_id, l.campaign_version, l.kid, l.serial, l.points FROM ledger_entries l
                WHERE l.kind = 'campaign' AND l.id IN (SELECT a.ledger_entry_id FROM awards a)),
            claimed AS MATERIALIZED (
                SELECT c.kid, c.serial FROM claims c WHERE (c.kid, c.serial) IN (SELECT a.kid, a.serial FROM awards a)),
            vouchers AS MATERIALIZED (
                SELECT r.id, r.points, r.reward_id FROM redemptions r WHERE r.id IN (SELECT a.redemption_id FROM awards a))
            SELECT count(*) FROM awards a
            LEFT JOIN entries l ON l.id = a.ledger_entry_id AND l.campaign_id = a.campaign_id AND l.campaign_version = a.version
                                AND l.kid = a.kid AND l.serial = a.serial AND l.points = a.points
            LEFT JOIN claimed c ON c.kid = a.kid AND c.serial = a.serial
            LEFT JOIN vouchers r ON r.id = a.redemption_id AND r.points = 0 AND r.reward_id = a.reward_id
            WHERE NOT EXISTS (SELECT 1 FROM campaign_versions v WHERE v.campaign_id = a.campaign_id AND v.version = a.version)
               OR (a.points > 0 AND l.id IS NULL)
               OR c.serial IS NULL
               OR (a.redemption_id IS NOT NULL AND r.id IS NULL)
               OR (a.ticket IS NOT NULL AND (
                       a.ticket <> (SELECT campaign_ticket(k.secret, a.kid, a.serial) FROM campaigns k WHERE k.id = a.campaign_id)
                       OR a.prize IS DISTINCT FROM (SELECT p.key FROM campaign_prize(a.campaign_id, a.version, a.ticket) p)))
            """)
        let entriesWithoutAward = try await count(
            """
            WITH entries AS MATERIALIZED (SELECT l.id, l.campaign_id FROM ledger_entries l WHERE l.kind = 'campaign'),
            awarded AS MATERIALIZED (
                SELECT a.campaign_id, a.ledger_entry_id FROM campaign_awards a WHERE a.ledger_entry_id IS NOT NULL)
            SELECT count(*) FROM entries l
            WHERE NOT EXISTS (SELECT 1 FROM awarded a WHERE a.campaign_id = l.campaign_id AND a.ledger_entry_id = l.id)
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
        // Each raw table's counts read once by member (MATERIALIZED: Citus keeps claims by code,
        // scans by id), then credited to the survivor here.
        let rows = try await database.query(
            """
            WITH owners AS MATERIALIZED (SELECT id, coalesce(merged_into, id) AS member_id FROM members),
            claims_by_member AS MATERIALIZED (
                SELECT member_id, channel, batch_id, count(*) AS n FROM claims GROUP BY member_id, channel, batch_id),
            scans_by_member AS MATERIALIZED (
                SELECT member_id, min(scanned_at) AS first, max(scanned_at) AS last FROM scans GROUP BY member_id),
            owned AS (
                SELECT o.member_id, c.channel, coalesce(b.region, 'unknown') AS region, b.product_id::text AS product, c.n
                FROM claims_by_member c JOIN owners o ON o.id = c.member_id JOIN batches b ON b.id = c.batch_id),
            counted AS (
                SELECT member_id, channel, region, product, sum(n)::int8 AS n FROM owned
                GROUP BY GROUPING SETS ((member_id, channel), (member_id, region), (member_id, product))),
            claimed AS (
                SELECT member_id, jsonb_object_agg(channel, n) FILTER (WHERE channel IS NOT NULL) AS by_channel,
                       jsonb_object_agg(region, n) FILTER (WHERE region IS NOT NULL) AS by_region,
                       jsonb_object_agg(product, n) FILTER (WHERE product IS NOT NULL) AS by_product
                FROM counted GROUP BY member_id),
            scanned AS (
                SELECT o.member_id, min(s.first) AS first, max(s.last) AS last
                FROM scans_by_member s JOIN owners o ON o.id = s.member_id GROUP BY 1),
            retention AS MATERIALIZED (
                SELECT coalesce(scans_dropped_before, '-infinity') AS dropped_before FROM programme_settings),
            members_wrong AS MATERIALIZED (
                SELECT count(*) FILTER (WHERE m.claims_by_channel <> coalesce(c.by_channel, '{}')) AS channel,
                       count(*) FILTER (WHERE m.claims_by_region <> coalesce(c.by_region, '{}')) AS region,
                       count(*) FILTER (WHERE m.claims_by_product <> coalesce(c.by_product, '{}')) AS product,
                       count(*) FILTER (
                           WHERE NOT (coalesce(m.first_scan_at < h.dropped_before, false) OR m.first_scan_at IS NOT DISTINCT FROM s.first)
                              OR NOT (m.last_scan_at IS NOT DISTINCT FROM s.last
                                      OR (coalesce(m.last_scan_at < h.dropped_before, false) AND s.last IS NULL))) AS scans
                FROM members m LEFT JOIN claimed c ON c.member_id = m.id LEFT JOIN scanned s ON s.member_id = m.id, retention h),
            expiring_wrong AS MATERIALIZED (
                SELECT count(DISTINCT coalesce(e.member_id, l.member_id)) AS members FROM member_points_expiring e
                FULL JOIN (SELECT member_id, expires_on, sum(remaining) AS points FROM point_lots
                           WHERE remaining > 0 AND expires_on IS NOT NULL GROUP BY member_id, expires_on) l
                  ON l.member_id = e.member_id AND l.expires_on = e.expires_on
                WHERE e.points IS DISTINCT FROM l.points)
            SELECT m.channel, m.region, m.product, m.scans, e.members FROM members_wrong m, expiring_wrong e
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
