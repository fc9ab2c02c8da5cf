import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// The programme's rules at work: points expiry, tiers, the liability report and segments.
@Suite("Programme: expiry, tiers, reports and segments")
struct ProgrammeTests {
    @Test("points expire lot by lot: what debits left of each expired lot is written off, and expired points are never spent")
    func expiryAcrossLots() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1")
            for sequence in 1..<4 { try await app.claimAsMember(batch, Int64(sequence), externalID: "u1") }
            // A debit of 15 takes lot 1 whole and 5 of lot 2 (same expiry: the oldest first).
            #expect(
                try await app.write(.post, "/api/v1/members/\(member)/adjustments", json: #"{"points": -15, "reason": "x"}"#).status
                    == .created)
            // Then lots 1 and 2 pass their expiry; lot 3 expires next week, lot 4 in a year.
            // (now() outside the CASE, which Citus refuses in an UPDATE of its tables.)
            try await app.sql(
                """
                UPDATE point_lots l SET expires_at = now() + CASE WHEN l.id = oldest.id THEN interval '-2 days'
                    WHEN l.id = oldest.id + 1 THEN interval '-1 day' ELSE interval '7 days' END
                FROM (SELECT min(id) AS id FROM point_lots) oldest WHERE l.id < oldest.id + 3
                """)
            let report = try await app.runProgrammeJobs()
            #expect(report.membersExpired == 1 && report.pointsExpired == 5)
            #expect(try await app.int64("SELECT balance FROM members") == 20)
            #expect(try await app.int64("SELECT lifetime_expired FROM members") == 5)
            #expect(try await app.int64("SELECT points FROM ledger_entries WHERE kind = 'expiry'") == -5)
            // Running again finds nothing due; the profile shows next week's 10 expiring.
            #expect(try await app.runProgrammeJobs().pointsExpired == 0)
            let profile = try decode(MemberProfile.self, try await app.request(.get, "/api/v1/members/\(member)", as: .crmRead))
            #expect(profile.expiring.next30Days == 10 && profile.lifetimeExpired == 5 && profile.balance == 20)

            // Lot 3 passes its expiry before the job comes by: a debit writes it off first and
            // takes the rest from lot 4, so expired points are never spent.
            try await app.sql(
                "UPDATE point_lots SET expires_at = now() - interval '1 minute' WHERE id = (SELECT min(id) + 2 FROM point_lots)")
            let debit = try await app.write(.post, "/api/v1/members/\(member)/adjustments", json: #"{"points": -5, "reason": "y"}"#)
            #expect(try decode(AdjustmentResult.self, debit).balance == 5)
            #expect(try await app.int64("SELECT lifetime_expired FROM members") == 15)
            let tooMuch = try await app.write(.post, "/api/v1/members/\(member)/adjustments", json: #"{"points": -6, "reason": "z"}"#)
            #expect(tooMuch.status == .unprocessableContent)
            try await app.expectInvariants()
        }
    }

    @Test("the server runs the expiry job by itself")
    func serverRunsJobs() async throws {
        try await TestApp.run(configure: { $0.programmeJobsSeconds = 1 }) { app in
            let batch = try await app.activeBatch()
            try await app.claimAsMember(batch, 0, externalID: "u1")
            try await app.sql("UPDATE point_lots SET expires_at = now() - interval '1 minute'")
            // The service's first run comes 5 s after start, then every second.
            var expired: Int64 = 0
            for _ in 0..<40 where expired == 0 {
                try await Task.sleep(for: .milliseconds(250))
                expired = try await app.int64("SELECT lifetime_expired FROM members")
            }
            #expect(expired == 10)
            #expect(try await app.int64("SELECT balance FROM members") == 0)
        }
    }

    @Test("a batch's points expiry overrides the programme's; 0 never expires")
    func batchExpiry() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let short = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 5, "points_valid_months": 3}"#)
            let never = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 5, "points_valid_months": 0}"#)
            #expect(short.pointsValidMonths == 3 && never.pointsValidMonths == 0)
            try await app.claimAsMember(short, 0, externalID: "u1")
            try await app.claimAsMember(never, 0, externalID: "u1")
            #expect(
                try await app.int64(
                    """
                    SELECT count(*) FROM point_lots WHERE expires_at BETWEEN now() + interval '89 days' AND now() + interval '93 days'
                    """) == 1)
            #expect(try await app.int64("SELECT count(*) FROM point_lots WHERE expires_at IS NULL") == 1)
            let bad = try await app.request(
                .post, "/api/v1/batches", json: #"{"sku": "RICE-5KG", "quantity": 5, "points_valid_months": 121}"#,
                headers: [TestApp.idempotencyKey: "b"])
            #expect(bad.status == .unprocessableContent)
            #expect(try errorCode(bad) == "invalid_points_valid_months")
        }
    }

    @Test("tiers follow points earned in the window: up on a credit, down by the job once points age out")
    func tiers() async throws {
        try await TestApp.run { app in
            let rules =
                #"{"points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": 72, "tiers": [{"name": "silver", "min_earned": 20}, {"name": "gold", "min_earned": 40}]}"#
            let put = try await app.request(.put, "/api/v1/programme", as: .admin, json: rules)
            #expect(put.status == .ok, "\(String(buffer: put.body))")
            #expect(try decode(Programme.self, put).tiers.map(\.name) == ["silver", "gold"])
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1")
            #expect(try await Self.tier(app, member) == nil)
            try await app.claimAsMember(batch, 1, externalID: "u1")
            #expect(try await Self.tier(app, member) == "silver")
            try await app.claimAsMember(batch, 2, externalID: "u1")
            try await app.claimAsMember(batch, 3, externalID: "u1")
            #expect(try await Self.tier(app, member) == "gold")
            // Spending does not lower a tier: it goes by points earned.
            #expect(
                try await app.write(.post, "/api/v1/members/\(member)/adjustments", json: #"{"points": 15, "reason": "gift"}"#).status
                    == .created)
            // Two claims' points were earned 13 months ago: outside the window, the tier drops
            // when the job reviews it (its review time has come).
            try await app.sql(
                "UPDATE point_lots SET earned_at = now() - interval '13 months' WHERE id IN (SELECT id FROM point_lots ORDER BY id LIMIT 3)"
            )
            try await app.sql("UPDATE members SET tier_review_at = now() - interval '1 second'")
            #expect(try await app.runProgrammeJobs().tiersReviewed == 1)
            #expect(try await Self.tier(app, member) == "silver") // 10 + 15 earned within the window
            // New rules apply to everybody through the job.
            let higher = rules.replacingOccurrences(of: #""min_earned": 20"#, with: #""min_earned": 30"#)
            #expect(try await app.request(.put, "/api/v1/programme", as: .admin, json: higher).status == .ok)
            #expect(try await app.runProgrammeJobs().tiersReviewed == 1)
            #expect(try await Self.tier(app, member) == nil)
            try await app.expectInvariants()
        }
    }

    @Test("bad programme rules are refused and change nothing; only admin may change them")
    func badRules() async throws {
        try await TestApp.run { app in
            let valid = #""points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": 72"#
            for (json, code) in [
                (
                    #"{"points_valid_months": 121, "tier_window_months": 12, "redemption_cancel_hours": 72, "tiers": []}"#,
                    "invalid_points_valid_months"
                ),
                (
                    #"{"points_valid_months": 12, "tier_window_months": 0, "redemption_cancel_hours": 72, "tiers": []}"#,
                    "invalid_tier_window_months"
                ),
                (
                    #"{"points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": -1, "tiers": []}"#,
                    "invalid_redemption_cancel_hours"
                ),
                (#"{\#(valid), "tiers": [{"name": "Gold", "min_earned": 10}]}"#, "invalid_tiers"),
                (#"{\#(valid), "tiers": [{"name": "a", "min_earned": 10}, {"name": "b", "min_earned": 10}]}"#, "invalid_tiers"),
                (#"{\#(valid), "tiers": [{"name": "a", "min_earned": -1}]}"#, "invalid_tiers"),
                (#"{\#(valid), "scan_retention_months": 121, "tiers": []}"#, "invalid_scan_retention_months"),
                (#"{\#(valid), "scan_retention_months": -1, "tiers": []}"#, "invalid_scan_retention_months"),
            ] {
                let response = try await app.request(.put, "/api/v1/programme", as: .admin, json: json)
                #expect(response.status == .unprocessableContent, "\(json): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(json)")
            }
            let missing = try await app.request(.put, "/api/v1/programme", as: .admin, json: #"{"points_valid_months": 12}"#)
            #expect(missing.status == .badRequest)
            #expect(try await app.request(.put, "/api/v1/programme", as: .crmWrite, json: #"{}"#).status == .forbidden)
            let now = try decode(Programme.self, try await app.request(.get, "/api/v1/programme", as: .crmRead))
            #expect(now == Programme() && now.scanRetentionMonths == 24)
        }
    }

    @Test("the scan retention: set by PUT, kept by a PUT without it, shown by GET")
    func scanRetention() async throws {
        try await TestApp.run { app in
            let valid = #""points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": 72, "tiers": []"#
            let set = try await app.request(.put, "/api/v1/programme", as: .admin, json: #"{\#(valid), "scan_retention_months": 6}"#)
            #expect(set.status == .ok)
            #expect(try decode(Programme.self, set).scanRetentionMonths == 6)
            let kept = try await app.request(.put, "/api/v1/programme", as: .admin, json: #"{\#(valid)}"#)
            #expect(kept.status == .ok)
            #expect(try decode(Programme.self, kept).scanRetentionMonths == 6)
            #expect(try await app.int64("SELECT scan_retention_months::int8 FROM programme_settings") == 6)
            let forever = try await app.request(.put, "/api/v1/programme", as: .admin, json: #"{\#(valid), "scan_retention_months": 0}"#)
            #expect(try decode(Programme.self, forever).scanRetentionMonths == 0)
        }
    }

    @Test("the liability report gives issued, redeemed, expired and outstanding per month")
    func liability() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1")
            try await app.claimAsMember(batch, 1, externalID: "u1")
            try await app.claimAsMember(batch, 2, externalID: "u2")
            // One claim's entry two months ago; an expiry last month.
            try await app.setTrigger("ledger_entries_append_only", of: "ledger_entries", enabled: false)
            try await app.sql(
                "UPDATE ledger_entries SET created_at = now() - interval '62 days' WHERE id = (SELECT min(id) FROM ledger_entries)")
            try await app.setTrigger("ledger_entries_append_only", of: "ledger_entries", enabled: true)
            try await app.sql("UPDATE point_lots SET expires_at = now() - interval '1 hour' WHERE id = (SELECT min(id) FROM point_lots)")
            try await app.runProgrammeJobs()
            #expect(
                try await app.write(.post, "/api/v1/members/\(member)/adjustments", json: #"{"points": -3, "reason": "x"}"#).status
                    == .created)

            let response = try await app.request(.get, "/api/v1/reports/liability", as: .crmRead)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let report = try decode(LiabilityReport.self, response)
            #expect(report.months.count == 12)
            #expect(report.outstanding == 17)
            let last = try #require(report.months.last)
            #expect(last.issued == 20 - 3 && last.expired == 10 && last.outstanding == 17)
            #expect(report.months.map(\.issued).reduce(0, +) == 27)
            #expect(report.months.dropLast().last?.outstanding == report.months[report.months.count - 3].outstanding)

            let range = try decode(
                LiabilityReport.self, try await app.request(.get, "/api/v1/reports/liability?from=2026-01&to=2026-03", as: .crmRead))
            #expect(range.months.map(\.month) == ["2026-01", "2026-02", "2026-03"])
            let past = try decode(LiabilityReport.self, try await app.request(.get, "/api/v1/reports/liability?to=2020-01", as: .crmRead))
            #expect(past.months.count == 12 && past.months.first?.month == "2019-02" && past.months.last?.month == "2020-01")
            for query in ["from=2026-13", "to=26-01", "from=2000-01&to=2026-12", "from=2026-05&to=2026-03", "from=0001-01"] {
                let bad = try await app.request(.get, "/api/v1/reports/liability?\(query)", as: .crmRead)
                #expect(bad.status == .unprocessableContent, "\(query)")
                #expect(try errorCode(bad) == "invalid_month")
            }
        }
    }

    @Test("segments: new, returning and lapsed members by claim recency, and by tier, as CSV")
    func segments() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let newcomer = try await app.claimAsMember(batch, 0, externalID: "new", phone: "+8613800000001")
            let returning = try await app.claimAsMember(batch, 1, externalID: "back")
            try await app.claimAsMember(batch, 2, externalID: "back")
            let lapsed = try await app.claimAsMember(batch, 3, externalID: "gone")
            try await app.sql("UPDATE claims SET claimed_at = now() - interval '100 days' WHERE member_id = '\(lapsed)'")
            try await app.sql(
                "UPDATE claims SET claimed_at = now() - interval '60 days' WHERE serial = (SELECT min(serial) FROM claims WHERE member_id = '\(returning)')"
            )
            func members(_ query: String) async throws -> [String] {
                let response = try await app.request(.get, "/api/v1/segments/members.csv?\(query)", as: .crmRead)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                let lines = String(buffer: response.body).split(separator: "\n").map(String.init)
                #expect(lines.first == Segment.header.trimmingCharacters(in: .newlines))
                return lines.dropFirst().map { String($0.prefix(36)) }
            }
            #expect(try await members("segment=new") == [newcomer.uuidString.lowercased()])
            #expect(try await members("segment=returning") == [returning.uuidString.lowercased()])
            #expect(try await members("segment=lapsed") == [lapsed.uuidString.lowercased()])
            #expect(try await members("segment=all").count == 3)
            #expect(try await members("segment=all&tier=gold").isEmpty)
            let row = try await app.request(.get, "/api/v1/segments/members.csv?segment=new", as: .crmRead)
            #expect(String(buffer: row.body).contains(",+8613800000001,,10,10,1,"))
            for (query, code) in [("segment=vip", "invalid_segment"), ("days=0", "invalid_days"), ("lapsed_days=x", "invalid_lapsed_days")]
            {
                let bad = try await app.request(.get, "/api/v1/segments/members.csv?\(query)", as: .crmRead)
                #expect(bad.status == .badRequest, "\(query)")
                #expect(try errorCode(bad) == code)
            }
        }
    }

    static func tier(_ app: TestApp, _ member: UUID) async throws -> String? {
        let profile = try decode(MemberProfile.self, try await app.request(.get, "/api/v1/members/\(member)", as: .crmRead))
        return profile.tier
    }
}
