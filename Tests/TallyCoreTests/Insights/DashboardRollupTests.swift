import Foundation
import PostgresNIO
import TallyTestSupport
import Testing

@testable import TallyCore

/// The dashboard rollups (db/migrations/0015_rollups.sql) after real claims, scans,
/// adjustments, redemptions, a cancel, expiry and a merge, counted by hand; tally check's I10.
@Suite("Dashboard rollups")
struct DashboardRollupTests {
    static let beijing = (39.90, 116.40)
    static let guangzhou = (23.13, 113.26)
    static let shanghai = (31.23, 121.47)

    /// Two members; three claims (two of RICE from 广东's batch, one scanned in Beijing and one in
    /// Guangzhou; one of OIL, from a batch with no region, with no location); three landing-page
    /// scans (a genuine code in Shanghai, a forged one, a typo); +7 and −3 adjustments; two
    /// redemptions of 5 points and one cancelled; OIL's 5 points expired; the second member
    /// merged into the first.
    static func programme(_ f: InsightsFixture) async throws -> (UUID, UUID) {
        let (m1, m2) = (try await f.member("+8613800000001"), try await f.member("+8613800000002"))
        #expect(try await f.claim(1, by: m1, channel: "web", at: beijing) == "claimed")
        #expect(try await f.claim(2, by: m1, channel: "tmall", at: guangzhou) == "claimed")
        #expect(try await f.claim(1001, by: m2, channel: "web") == "claimed")
        try await ScanStore(database: f.client, logger: f.logger).insert([
            Scan(result: "valid", kid: 1, serial: 3, latitude: shanghai.0, longitude: shanghai.1),
            Scan(result: "forged", input: "1000000005P70C7039"), Scan(result: "typo", input: "10000"),
        ])
        try await f.run("SELECT adjust_points('\(m2)', 7, 'goodwill', 'test')")
        try await f.run("SELECT adjust_points('\(m1)', -3, 'correction', 'test')")
        try await f.run("INSERT INTO rewards (sku, name, cost_points) VALUES ('CUP', 'Cup', 5)")
        try await f.run("SELECT redeem_reward('\(m1)', 1, 1, 'web', 'test', 'TEST-VOUCHER-1')")
        try await f.run("SELECT redeem_reward('\(m1)', 1, 1, 'web', 'test', 'TEST-VOUCHER-2')")
        try await f.run(
            "SELECT cancel_redemption((SELECT id FROM redemptions WHERE voucher = 'TEST-VOUCHER-2'), 'changed mind', 'test')")
        try await f.run("UPDATE point_lots SET expires_at = now() - interval '1 hour' WHERE member_id = '\(m2)' AND points = 5")
        _ = try await ProgrammeJobs(database: f.client, logger: f.logger).run()
        try await f.run("SELECT merge_members('\(m1)', '\(m2)', 'same person', 'test')")
        return (m1, m2)
    }

    @Test("per day: scans, claims, members and points as counted by hand; the liability is the balances")
    func days() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            _ = try await Self.programme(f)
            let rows = try await client.query(
                """
                SELECT sum(scans)::int8, sum(genuine_scans)::int8, sum(forged_scans)::int8, sum(claims)::int8,
                       sum(new_members)::int8, sum(points_issued)::int8, sum(points_redeemed)::int8, sum(points_expired)::int8,
                       sum(points_adjusted_out)::int8, sum(points_net)::int8, count(DISTINCT day)::int8
                FROM \(unescaped: InsightsFixture.rows(of: "rollup_days")) r
                """, logger: f.logger)
            for try await row in rows.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self) {
                // scans 3 (claims' own records are not scans), 1 genuine, 1 forged; 3 claims; 2 members;
                // issued 10 + 10 + 5 + 7; redeemed 5 + 5 − 5; expired 5; adjusted out 3; net 32 − 5 − 5 − 3.
                #expect(row.0 == 3 && row.1 == 1 && row.2 == 1 && row.3 == 3 && row.4 == 2)
                #expect(row.5 == 32 && row.6 == 5 && row.7 == 5 && row.8 == 3 && row.9 == 19 && row.10 == 1)
            }
            #expect(try await f.scalar("SELECT sum(balance)::int8 FROM members") == 19)
            let finding = try await f.rollupsHold()
            #expect(finding.holds, "\(finding)")
        }
    }

    @Test("per day × product × region × channel, by product, by channel and by the scan's province")
    func cube() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            _ = try await Self.programme(f)
            let activity = try await f.text(
                """
                SELECT string_agg(format('%s/%s/%s:%s,%s,%s,%s,%s', product_id, region, channel, scans, genuine_scans, forged_scans,
                                         claims, claim_points), ' ' ORDER BY product_id, region, channel)
                FROM (SELECT product_id, region, channel, sum(scans) AS scans, sum(genuine_scans) AS genuine_scans,
                             sum(forged_scans) AS forged_scans, sum(claims) AS claims, sum(claim_points) AS claim_points
                      FROM \(InsightsFixture.rows(of: "rollup_activity")) r GROUP BY 1, 2, 3) a
                """)
            #expect(activity == "0/unknown/:2,0,1,0,0 1/广东/:1,1,0,0,0 1/广东/tmall:0,0,0,1,10 1/广东/web:0,0,0,1,10 2/unknown/web:0,0,0,1,5")
            #expect(
                try await f.text(
                    "SELECT string_agg(format('%s:%s,%s', product_id, c, p), ' ' ORDER BY product_id) FROM (SELECT product_id, sum(claims) c, sum(claim_points) p FROM \(InsightsFixture.rows(of: "rollup_products")) r GROUP BY 1) x"
                ) == "1:2,20 2:1,5")
            #expect(
                try await f.text(
                    "SELECT string_agg(format('%s:%s,%s', channel, c, p), ' ' ORDER BY channel) FROM (SELECT channel, sum(claims) c, sum(claim_points) p FROM \(InsightsFixture.rows(of: "rollup_channels")) r GROUP BY 1) x"
                ) == "tmall:1,10 web:2,15")
            // Beijing is ~1,860 km from 广东's centroid, Shanghai ~1,200, Guangzhou ~30.
            #expect(
                try await f.text(
                    "SELECT string_agg(format('%s/%s:%s,%s,%s', batch_id, province, s, c, round(km / 100)), ' ' ORDER BY batch_id, province) FROM (SELECT batch_id, province, sum(scans) s, sum(claims) c, max(max_km) km FROM \(InsightsFixture.rows(of: "rollup_scan_places")) r GROUP BY 1, 2) x"
                ) == "1/BJ:0,1,19 1/GD:0,1,0 1/SH:1,0,12")
        }
    }

    @Test("I10 finds a tampered rollup, in any of the tables, and holds again once it is put back")
    func tampered() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            _ = try await Self.programme(f)
            #expect(try await f.rollupsHold().holds)
            // Tampered where the rows are: on Citus each node keeps its own dashboard rollups.
            for (tamper, undo) in [
                ("UPDATE rollup_days SET claims = claims + 1", "UPDATE rollup_days SET claims = claims - 1"),
                (
                    "UPDATE rollup_activity SET claim_points = claim_points + 1 WHERE claims > 0",
                    "UPDATE rollup_activity SET claim_points = claim_points - 1 WHERE claims > 0"
                ),
                (
                    "UPDATE rollup_channels SET channel = 'jd' WHERE channel = 'tmall'",
                    "UPDATE rollup_channels SET channel = 'tmall' WHERE channel = 'jd'"
                ),
                ("UPDATE rollup_scan_places SET max_km = max_km + 1", "UPDATE rollup_scan_places SET max_km = max_km - 1"),
                (
                    "INSERT INTO rollup_repeat_claims VALUES (current_date - 400, 1, 0)",
                    "DELETE FROM rollup_repeat_claims"
                ),
            ] {
                // The repeat-claim rollups are the coordinator's alone (written by the programme jobs).
                let run = tamper.contains("rollup_repeat_claims") ? f.run : f.runOnEveryNode
                try await run(tamper)
                let finding = try await f.rollupsHold()
                #expect(!finding.holds, "\(tamper): \(finding)")
                try await run(undo)
                #expect(try await f.rollupsHold().holds, "\(undo)")
            }
        }
    }

    @Test("rollup_rows: a rollup table's rows of a day range, as stored on every node; any other table refused")
    func rows() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            _ = try await Self.programme(f)
            for table in ["rollup_days", "rollup_activity", "rollup_products", "rollup_channels", "rollup_scan_places"] {
                let stored = try await f.countOnEveryNode(table)
                #expect(stored > 0, "\(table)")
                #expect(try await f.scalar("SELECT count(*)::int8 FROM rollup_rows('\(table)', NULL, NULL)") == stored, "\(table)")
                // This node's rows are among them as stored (on plain PostgreSQL: they are all of them).
                let differing = try await f.scalar(
                    """
                    SELECT count(*)::int8 FROM (
                        (SELECT * FROM \(table)
                         EXCEPT ALL SELECT (jsonb_populate_record(NULL::\(table), j)).* FROM rollup_rows('\(table)', NULL, NULL) j)) d
                    """)
                #expect(differing == 0, "\(table)")
                let day = "(SELECT min((j ->> 'day')::date) FROM rollup_rows('\(table)', NULL, NULL) j)"
                #expect(try await f.scalar("SELECT count(*)::int8 FROM rollup_rows('\(table)', \(day), \(day))") == stored)
                #expect(try await f.scalar("SELECT count(*)::int8 FROM rollup_rows('\(table)', \(day) + 1, NULL)") == 0)
                #expect(try await f.scalar("SELECT count(*)::int8 FROM rollup_rows('\(table)', NULL, \(day) - 1)") == 0)
            }
            for table in ["members", "rollup_repeat_claims", "rollup_days; DROP TABLE members"] {
                await #expect(throws: (any Error).self, "\(table)") {
                    _ = try await f.scalar("SELECT count(*)::int8 FROM rollup_rows('\(table)', NULL, NULL)")
                }
            }
            #expect(try await f.scalar("SELECT count(*)::int8 FROM members") > 0)
        }
    }

    @Test("stripes: claims from several connections land in several slots and add up")
    func slots() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            var members: [UUID] = []
            for n in 0..<8 { members.append(try await f.member("+86138000001\(n)\(n)")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, member) in members.enumerated() {
                    group.addTask { for k in 0..<10 { try await f.claim(Int64(100 + n * 10 + k), by: member) } }
                }
                try await group.waitForAll()
            }
            #expect(try await f.scalar("SELECT sum(claims)::int8 FROM \(InsightsFixture.rows(of: "rollup_days")) r") == 80)
            #expect(try await f.scalar("SELECT sum(claims)::int8 FROM \(InsightsFixture.rows(of: "rollup_activity")) r") == 80)
            #expect(try await f.scalar("SELECT sum(claim_points)::int8 FROM \(InsightsFixture.rows(of: "rollup_products")) r") == 800)
            #expect(try await f.rollupsHold().holds)
        }
    }

    @Test("transactions of several claims in opposite product orders, on 8 connections at once: no deadlock, each its own slot")
    func noDeadlocks() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            var members: [UUID] = []
            for n in 0..<8 { members.append(try await f.member("+86138000002\(n)\(n)")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, member) in members.enumerated() {
                    group.addTask {
                        // No retry on deadlock here (PostgresClient.transaction would hide one).
                        try await client.withConnection { connection in
                            for round in 0..<5 {
                                let base = Int64(n * 100 + round * 10)
                                let serials = n % 2 == 0 ? [base, 1000 + base, base + 1] : [1000 + base, base, 1001 + base]
                                try await connection.query("BEGIN", logger: f.logger)
                                for serial in serials {
                                    try await connection.query(
                                        """
                                        SELECT outcome FROM claim_code(1::int2, \(serial), \(member), 'web', 0, 'Asia/Shanghai',
                                                                       NULL, NULL, NULL, NULL, NULL, NULL)
                                        """, logger: f.logger)
                                }
                                try await connection.query("SELECT pg_sleep(0.01)", logger: f.logger)
                                try await connection.query("COMMIT", logger: f.logger)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await f.scalar("SELECT sum(claims)::int8 FROM \(InsightsFixture.rows(of: "rollup_days")) r") == 120)
            #expect(try await f.scalar("SELECT sum(claims)::int8 FROM \(InsightsFixture.rows(of: "rollup_channels")) r") == 120)
            #expect(try await f.scalar("SELECT count(DISTINCT slot)::int8 FROM \(InsightsFixture.rows(of: "rollup_days")) r") > 1)
            #expect(try await f.rollupsHold().holds)
        }
    }
}
