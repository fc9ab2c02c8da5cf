import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

/// A member's profile is read from rollups the write path keeps (migration 0011): whatever
/// changed the member's claims, scans and points, it answers what a recomputation from the raw
/// tables answers, and `tally check` says so too.
@Suite("Member rollups over real HTTP")
struct MemberRollupTests {
    static let sessionKey = Array(repeating: UInt8(9), count: 32)

    /// A browser signed in as `member` (the landing page's claims and scans).
    static func browser(_ app: TestApp, as member: UUID) async throws -> Browser {
        var browser = Browser(app)
        _ = try await browser.get("/Q")
        browser.cookies["tally_session"] = SessionSigner(key: sessionKey).session(for: member)
        return browser
    }

    /// Claims code `sequence` of `batch` on the landing page, as `member`'s browser.
    static func webClaim(_ app: TestApp, _ batch: Batch, _ sequence: Int64, as member: UUID) async throws {
        var browser = try await browser(app, as: member)
        let code = app.code(batch, sequence)
        _ = try await browser.get("/Q/\(code.text)")
        let csrf = try await browser.formToken()
        let page = try await browser.post("/Q/\(code.text)/claim", form: ["csrf": csrf])
        try #require(page.status == .ok || page.status == .seeOther, "\(page.status)")
        try #require(try await app.int64("SELECT count(*) FROM claims WHERE serial = \(code.serial)") == 1)
    }

    /// Claims each (sequence, external id, channel) through the claim API at once, each on a
    /// connection of its own; with few database connections they go in batches.
    static func claimsAtOnce(_ app: TestApp, _ batch: Batch, _ claims: [(Int64, String, String)]) async throws {
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for (sequence, externalID, channel) in claims {
                let body =
                    #"{"code": "\#(app.code(batch, sequence).text)", "identity": {"channel": "\#(channel)", "external_id": "\#(externalID)"}}"#
                group.addTask { try await app.requestAlone(.post, "/api/v1/claims", as: .claim, json: body, key: UUID().uuidString).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 201 }, "\(statuses)")
    }

    /// Waits until the server's ScanRecorder has written `count` scans of signed-in members'
    /// pages (a claim's own scan, `claimed`, is written by the claim).
    static func waitForPageScans(_ app: TestApp, _ count: Int64) async throws {
        let scans = "SELECT count(*) FROM scans WHERE member_id IS NOT NULL AND result <> 'claimed'"
        for _ in 0..<200 where try await app.int64(scans) < count {
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(try await app.int64(scans) == count)
    }

    @Test(
        "after web, API and batched claims, scans, redemptions and their cancellation, adjustments, expiry and merges, every profile is its recomputation"
    )
    func profileIsItsRecomputation() async throws {
        // Three database connections: the webhook service's, and two for everything else, so that
        // API claims sent at once queue and go in batches.
        try await TestApp.run(configure: {
            $0.databaseConnections = 3
            $0.sessionKey = Self.sessionKey
        }) { app in
            let rice = try await app.activeBatch(quantity: 200, extra: #", "region": "east""#)
            try await app.createProduct(sku: "OIL-1L", gtin: nil)
            let oil = try await app.createActiveBatch(#"{"sku": "OIL-1L", "quantity": 100}"#)
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 15}"#)

            // Three people: S on WeChat with a phone, A on Tmall, B on JD.
            let s = try await app.claimAsMember(rice, 0, externalID: "s", phone: "+8613800138000")
            let a = try await app.claimAsMember(oil, 0, externalID: "a", channel: "tmall")
            let b = try await app.claimAsMember(rice, 1, externalID: "b", channel: "jd")
            try await Self.claimsAtOnce(
                app, rice, (2..<14).map { ($0, ["s", "a", "b"][Int($0) % 3], ["wechat_unionid", "tmall", "jd"][Int($0) % 3]) })
            try await Self.claimsAtOnce(app, oil, (1..<7).map { ($0, $0 % 2 == 0 ? "s" : "b", $0 % 2 == 0 ? "wechat_unionid" : "jd") })
            try await Self.webClaim(app, rice, 20, as: s)
            try await Self.webClaim(app, oil, 20, as: b)
            try await Self.webClaim(app, oil, 21, as: a)
            // Scans of the landing page by signed-in members (each web claim's page, a code claimed
            // by another, codes not claimed yet).
            for (member, sequence) in [(a, Int64(30)), (b, 0), (s, 31)] {
                var browser = try await Self.browser(app, as: member)
                _ = try await browser.get("/Q/\(app.code(rice, sequence).text)")
            }
            try await Self.waitForPageScans(app, 3 + 3)

            // Points: a redemption kept, one cancelled, adjustments both ways, expiry.
            let kept = try await app.redeem(s, #"{"reward": "MUG", "quantity": 1}"#)
            #expect(kept.status == .created, "\(String(buffer: kept.body))")
            let cancelled = try await app.redeem(b, #"{"reward": "MUG", "quantity": 2}"#)
            #expect(cancelled.status == .created, "\(String(buffer: cancelled.body))")
            let redemption = try #require(
                (try JSONSerialization.jsonObject(with: Data(String(buffer: cancelled.body).utf8)) as? [String: Any])?["id"] as? String)
            #expect(try await app.cancel(UUID(uuidString: redemption)!).status == .ok)
            for (member, json) in [(a, #"{"points": 25, "reason": "sorry"}"#), (s, #"{"points": -7, "reason": "returned"}"#)] {
                #expect(try await app.write(.post, "/api/v1/members/\(member)/adjustments", json: json).status == .created)
            }
            // Lots expiring within 30, 60 and 90 days, one past its expiry (written off by the job),
            // one past it and not yet written off.
            try await app.sql(
                """
                UPDATE point_lots SET expires_at = \(TestApp.later("now()", by: """
                    CASE WHEN id % 5 = 0 THEN interval '20 days' WHEN id % 5 = 1 THEN interval '50 days'
                         WHEN id % 5 = 2 THEN interval '80 days' ELSE interval '200 days' END
                    """))
                """)
            try await app.sql("UPDATE point_lots SET expires_at = now() - interval '1 hour' WHERE id = (SELECT min(id) FROM point_lots)")
            try await app.runProgrammeJobs()
            try await app.sql("UPDATE point_lots SET expires_at = now() - interval '1 minute' WHERE id = (SELECT max(id) FROM point_lots)")
            try await app.expectProfilesRecomputed()

            // B into A, then A (which absorbed B) into S.
            for (survivor, absorbed) in [(a, b), (s, a)] {
                let merged = try await app.write(
                    .post, "/api/v1/members/\(survivor)/merge", json: #"{"absorb": "\#(absorbed)", "reason": "one person"}"#)
                #expect(merged.status == .ok, "\(String(buffer: merged.body))")
            }
            // After the merges: claims and scans by the absorbed members' identities and sessions.
            try await app.claimAsMember(rice, 40, externalID: "b", channel: "jd")
            try await Self.claimsAtOnce(app, oil, [(40, "a", "tmall"), (41, "b", "jd"), (42, "s", "wechat_unionid")])
            try await Self.webClaim(app, rice, 41, as: b)
            var browser = try await Self.browser(app, as: a)
            _ = try await browser.get("/Q/\(app.code(oil, 60).text)")
            try await Self.waitForPageScans(app, 6 + 2)

            let profile = try decode(MemberProfile.self, try await app.request(.get, "/api/v1/members/\(s)", as: .crmRead))
            #expect(Set(profile.mergedFrom) == [a, b])
            #expect(profile.claims == 3 + 12 + 6 + 3 + 1 + 3 + 1)
            #expect(profile.claimsByRegion["unknown"] == 1 + 6 + 2 + 3 && profile.claimsByProduct.map(\.sku) == ["RICE-5KG", "OIL-1L"])
            try await app.expectProfilesRecomputed()
        }
    }

    @Test("points expiring within 30, 60 and 90 days are exact at the boundary, in any session time zone")
    func expiringBoundaries() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1")
            for sequence in 1..<40 { try await app.claimAsMember(batch, Int64(sequence), externalID: "u1") }
            // Within one transaction now() stands still: lots exactly at each boundary, a microsecond
            // on either side, at the start and end of the boundary's UTC day and the days around it,
            // past their expiry, and never expiring; then each span's sum as the rollup gives it
            // and as the definition does, in the same statement.
            let comparison = try await app.database.withConnection { connection in
                try await connection.query("BEGIN", logger: TestDatabase.logger)
                try await connection.query("SET LOCAL TIME ZONE 'America/New_York'", logger: TestDatabase.logger)
                // This transaction's now(), written out: on Citus a query routed to a worker reads
                // the worker's own now(), a moment later than the coordinator's.
                var now = ""
                for try await text in try await connection.query("SELECT now()::text", logger: TestDatabase.logger).decode(String.self) {
                    now = "'\(text)'::timestamptz"
                }
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE point_lots l SET expires_at = x.at FROM (
                                SELECT row_number() OVER () AS n, at FROM (
                                    SELECT \(now) + make_interval(days => d) + o AS at
                                    FROM unnest(ARRAY[30, 60, 90]) d,
                                         unnest(ARRAY[interval '0', interval '1 microsecond', interval '-1 microsecond']) o
                                    UNION ALL
                                    SELECT date_trunc('day', \(now) + make_interval(days => d), 'UTC') + o
                                    FROM unnest(ARRAY[30, 60, 90]) d,
                                         unnest(ARRAY[interval '0', interval '1 day' - interval '1 microsecond', interval '-1 day',
                                                      interval '1 day']) o
                                    UNION ALL SELECT \(now) - interval '1 hour'
                                    UNION ALL SELECT NULL) t) x
                            WHERE l.member_id = '\(member)' AND l.id = (SELECT min(id) FROM point_lots WHERE member_id = '\(member)') + x.n - 1
                            """), logger: TestDatabase.logger)
                // Two statements of the one transaction (on Citus a function that reads distributed
                // tables cannot run inside a query routed to the member's shard).
                var rollup: [Int: Int64] = [:]
                for try await (days, points) in try await connection.query(
                    "SELECT d, (SELECT points FROM points_expiring(\(member), make_interval(days => d))) FROM generate_series(0, 100) d",
                    logger: TestDatabase.logger
                ).decode((Int, Int64).self) {
                    rollup[days] = points
                }
                var rows: [(Int, Int64, Int64)] = []
                for try await (days, definition) in try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT d, (SELECT coalesce(sum(remaining), 0)::int8 FROM point_lots
                                       WHERE member_id = '\(member)' AND remaining > 0 AND expires_at <= \(now) + make_interval(days => d))
                            FROM generate_series(0, 100) d ORDER BY d
                            """), logger: TestDatabase.logger
                ).decode((Int, Int64).self) {
                    rows.append((days, rollup[days] ?? -1, definition))
                }
                try await connection.query("COMMIT", logger: TestDatabase.logger)
                return rows
            }
            #expect(comparison.count == 101)
            for (days, rollup, definition) in comparison {
                #expect(rollup == definition, "within \(days) days: \(rollup) from the rollup, \(definition) by definition")
            }
            // Within 30 days: the lots at the boundary and a microsecond before it, at the start of
            // its day and of the day before, and the one past its expiry, 10 points each. Within 60
            // also those of the 30-day group after its boundary (a microsecond after, the end of
            // that day, the next day), and the 60-day group's as for 30; and so on for 90.
            let definition = Dictionary(uniqueKeysWithValues: comparison.map { ($0.0, $0.2) })
            #expect([definition[30], definition[60], definition[90]] == [50, 120, 190], "\(definition)")
            // The server reads at a later instant, as the definition would.
            try await app.expectProfilesRecomputed()
        }
    }

    @Test("one member's claims sent at once, on connections of their own, are all counted")
    func concurrentClaims() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1", phone: "+8613800138000")
            try await app.claimAsMember(batch, 1, externalID: "t1", phone: "+8613800138000", channel: "tmall")
            try await Self.claimsAtOnce(
                app, batch, (2..<42).map { ($0, $0 % 2 == 0 ? "u1" : "t1", $0 % 2 == 0 ? "wechat_unionid" : "tmall") })
            let profile = try decode(MemberProfile.self, try await app.request(.get, "/api/v1/members/\(member)", as: .crmRead))
            #expect(profile.claims == 42 && profile.claimsByChannel == ["wechat_unionid": 21, "tmall": 21])
            #expect(profile.claimsByRegion == ["unknown": 42] && profile.claimsByProduct.first?.claims == 42)
            try await app.expectProfilesRecomputed()
        }
    }

    @Test("tally check reports each rollup that a recomputation does not find, and holds again once it is put back")
    func checkFindsCorruptedRollups() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1")
            try await app.claimAsMember(batch, 1, externalID: "u1")
            try await app.expectInvariants()
            try await app.sql("CREATE TABLE saved_members AS SELECT * FROM members")
            try await app.sql("CREATE TABLE saved_expiring AS SELECT * FROM member_points_expiring")
            let corruptions: [(String, String)] = [
                ("UPDATE members SET claims_by_channel = '{\"wechat_unionid\": 3}'", "1 in claims by channel"),
                ("UPDATE members SET claims_by_region = '{}'", "1 by region"),
                ("UPDATE members SET claims_by_product = claims_by_product || '{\"999\": 1}'", "1 by product"),
                (
                    "UPDATE members SET last_scan_at = \(TestApp.later("last_scan_at", by: "interval '1 second'"))",
                    "1 in first or last scan"
                ),
                ("UPDATE members SET first_scan_at = NULL", "1 in first or last scan"),
                ("UPDATE member_points_expiring SET points = points - 1", "1 in points expiring by day"),
                ("DELETE FROM member_points_expiring", "1 in points expiring by day"),
                ("INSERT INTO member_points_expiring VALUES ('\(member)', current_date + 5, 10)", "1 in points expiring by day"),
            ]
            for (corruption, detail) in corruptions {
                try await app.sql(corruption)
                let finding = try #require(try await Self.rollupFinding(app))
                #expect(!finding.holds && finding.detail.contains(detail), "\(corruption): \(finding)")
                try await app.sql(
                    """
                    UPDATE members m SET claims_by_channel = s.claims_by_channel, claims_by_region = s.claims_by_region,
                        claims_by_product = s.claims_by_product, first_scan_at = s.first_scan_at, last_scan_at = s.last_scan_at
                    FROM saved_members s WHERE s.id = m.id
                    """)
                try await app.sql("DELETE FROM member_points_expiring")
                try await app.sql("INSERT INTO member_points_expiring SELECT * FROM saved_expiring")
                #expect(try await Self.rollupFinding(app)?.holds == true, "after putting back \(corruption)")
            }
        }
    }

    static func rollupFinding(_ app: TestApp) async throws -> InvariantChecker.Finding? {
        try await InvariantChecker(database: app.database, logger: TestDatabase.logger).check().first { $0.invariant.hasPrefix("I7") }
    }
}
