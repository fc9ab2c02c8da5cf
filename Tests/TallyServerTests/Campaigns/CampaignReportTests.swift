import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyCore
import TallyTestSupport
import Testing

/// `GET /api/v1/campaigns/{id}/report` over real claims, and the liability report per campaign.
@Suite("Campaign reports over real HTTP")
struct CampaignReportTests {
    /// A bonus of 20 within a points budget of 50: two members claim two codes each; the first
    /// member's two awards fit (10 left), the other's two are refused (budget_exhausted).
    static func bonusCampaign(_ app: TestApp) async throws -> (campaign: Int64, first: UUID, second: UUID) {
        let batch = try await app.activeBatch()
        let campaign = try await app.reportCampaign(#""effect": {"type": "bonus", "points": 20}, "budget": {"points": 50}"#)
        let first = try await app.claimAsMember(batch, 0, externalID: "u-first", phone: "+8613800000001")
        try await app.claimAsMember(batch, 1, externalID: "u-first")
        let second = try await app.claimAsMember(batch, 2, externalID: "u-second", phone: "+8613800000002")
        try await app.claimAsMember(batch, 3, externalID: "u-second")
        return (campaign, first, second)
    }

    @Test("per day: matched, awards, points, members reached, refusals and the budget left, from what the claims wrote")
    func report() async throws {
        try await TestApp.run { app in
            let (campaign, first, _) = try await Self.bonusCampaign(app)
            // The first member's awards were yesterday (Shanghai).
            try await app.sql(
                "UPDATE campaign_awards SET awarded_at = \(TestApp.dayEarlier("awarded_at")) WHERE member_id = '\(first)'")
            let today = try await app.shanghaiDay()
            let yesterday = try await app.shanghaiDay(ago: "1 day")
            let response = try await app.request(.get, "/api/v1/campaigns/\(campaign)/report", as: .campaigns)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let report = try decode(CampaignReport.self, response)
            #expect(report.timeZone == "Asia/Shanghai" && report.version == 1)
            let monthAgo = try await app.shanghaiDay(ago: "30 days")
            #expect(report.from == monthAgo && report.to == today)
            #expect(report.days.count == 31)
            let byDay = Dictionary(uniqueKeysWithValues: report.days.map { ($0.day, $0) })
            let before = try #require(report.days.first)
            #expect(before.matched == 0 && before.pointsBudgetLeft == 50 && before.awardsBudgetLeft == nil)
            let earlier = try #require(byDay[yesterday])
            #expect(earlier.matched == 2 && earlier.awards == 2 && earlier.points == 40 && earlier.membersReached == 1)
            #expect(earlier.refused == CampaignReport.Refused() && earlier.pointsBudgetLeft == 10)
            let last = try #require(byDay[today])
            #expect(last.matched == 2 && last.awards == 0 && last.points == 0 && last.membersReached == 0)
            #expect(last.refused.budgetExhausted == 2 && last.pointsBudgetLeft == 10 && last.prizesLeft.isEmpty)
            #expect(report.totals.matched == 4 && report.totals.awards == 2 && report.totals.points == 40)
            #expect(report.totals.membersReached == 1 && report.totals.refused.budgetExhausted == 2 && report.totals.vouchers == 0)

            // Only today: the budget left counts the awards before it.
            let one = try decode(
                CampaignReport.self,
                try await app.request(.get, "/api/v1/campaigns/\(campaign)/report?from=\(today)&to=\(today)", as: .campaigns))
            #expect(one.days.map(\.day) == [today] && one.days.first?.pointsBudgetLeft == 10 && one.totals.awards == 0)
        }
    }

    @Test("CSV by format=csv or Accept: text/csv: a header, one line per day, a file name")
    func csv() async throws {
        try await TestApp.run { app in
            let (campaign, _, _) = try await Self.bonusCampaign(app)
            let today = try await app.shanghaiDay()
            let yesterday = try await app.shanghaiDay(ago: "1 day")
            let uri = "/api/v1/campaigns/\(campaign)/report?from=\(yesterday)&to=\(today)"
            for response in [
                try await app.request(.get, uri + "&format=csv", as: .campaigns),
                try await app.request(.get, uri, as: .campaigns, headers: [.accept: "text/csv"]),
            ] {
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"campaign-\(campaign)-\(yesterday)-\(today).csv\"")
                #expect(
                    String(buffer: response.body) == """
                        day,matched,awards,points,vouchers,members_reached,no_prize,out_of_stock,budget_exhausted,limit_reached,points_budget_left,awards_budget_left
                        \(yesterday),0,0,0,0,0,0,0,0,0,50,
                        \(today),4,2,40,0,1,0,0,2,0,10,

                        """)
            }
            // format=json wins over Accept.
            let json = try await app.request(.get, uri + "&format=json", as: .campaigns, headers: [.accept: "text/csv"])
            #expect(json.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test("a draw's prizes have a column each: the units left at each day's end")
    func prizeColumns() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let campaign = try await app.reportCampaign(
                TestApp.drawEffect([
                    .init(key: "pot", points: 5, probabilityPPM: 500_000, stock: 3),
                    .init(key: "pen", points: 1, probabilityPPM: 500_000, stock: 100),
                ]))
            for sequence in 0..<6 { try await app.claimAsMember(batch, Int64(sequence), externalID: "u-\(sequence)") }
            let won = try await app.int64("SELECT count(*) FROM campaign_awards WHERE outcome = 'awarded' AND prize = 'pot'")
            let today = try await app.shanghaiDay()
            let response = try await app.request(.get, "/api/v1/campaigns/\(campaign)/report?from=\(today)&format=csv", as: .campaigns)
            let lines = String(buffer: response.body).split(separator: "\n")
            #expect(lines.first?.hasSuffix(",points_budget_left,awards_budget_left,prize_pot_left,prize_pen_left") == true)
            let pens = try await app.int64("SELECT count(*) FROM campaign_awards WHERE outcome = 'awarded' AND prize = 'pen'")
            #expect(lines.last?.hasSuffix(",,,\(3 - won),\(100 - pens)") == true)
        }
    }

    @Test("bad dates, from after to, more than 366 days: 422; an unknown campaign 404; a bad format 400; each changes nothing")
    func refusals() async throws {
        try await TestApp.run { app in
            let (campaign, _, _) = try await Self.bonusCampaign(app)
            let uri = "/api/v1/campaigns/\(campaign)/report"
            for query in ["from=2026-02-30", "to=2026-13-01", "from=26-01-01", "to=2026-1-1", "from=0000-01-01", "from=%00"] {
                try await app.expectRefusal(422, "invalid_report_date") { try await app.request(.get, "\(uri)?\(query)", as: .campaigns) }
            }
            for query in ["from=2026-03-02&to=2026-03-01", "from=2025-01-01&to=2026-01-02", "from=3000-01-01"] {
                try await app.expectRefusal(422, "invalid_report_range") { try await app.request(.get, "\(uri)?\(query)", as: .campaigns) }
            }
            let longest = try await app.request(.get, "\(uri)?from=2025-01-01&to=2026-01-01", as: .campaigns)
            #expect(longest.status == .ok)
            #expect(try decode(CampaignReport.self, longest).days.count == 366)
            try await app.expectRefusal(400, "invalid_format") { try await app.request(.get, "\(uri)?format=xml", as: .campaigns) }
            for path in ["/api/v1/campaigns/999/report", "/api/v1/campaigns/x/report", "/api/v1/campaigns/0/report"] {
                try await app.expectRefusal(404, "campaign_not_found") { try await app.request(.get, path, as: .campaigns) }
            }
        }
    }

    @Test("the liability report counts campaigns' points as issued, and lists each campaign's issued and outstanding points")
    func liability() async throws {
        try await TestApp.run { app in
            let (campaign, first, _) = try await Self.bonusCampaign(app)
            let response = try await app.request(.get, "/api/v1/reports/liability", as: .crmRead)
            #expect(response.status == .ok)
            var report = try decode(LiabilityReport.self, response)
            // Four claims of 10 points and two awards of 20.
            #expect(report.months.last?.issued == 80 && report.outstanding == 80)
            let only = try #require(report.campaigns.first)
            #expect(report.campaigns.count == 1 && only.campaignId == campaign && only.name == .init(zh: "测试活动", en: "Test campaign"))
            #expect(only.issued == 40 && only.outstanding == 40)
            // A lot past its expiry counts nothing, before the expiry job has run too.
            try await app.sql(
                """
                UPDATE point_lots SET expires_at = now() - interval '1 second'
                WHERE member_id = '\(first)' AND source = 'campaign'
                  AND id = (SELECT min(id) FROM point_lots WHERE member_id = '\(first)' AND source = 'campaign')
                """)
            report = try decode(LiabilityReport.self, try await app.request(.get, "/api/v1/reports/liability", as: .crmRead))
            #expect(report.campaigns.first?.outstanding == 20 && report.campaigns.first?.issued == 40)
            // Months before the awards: nothing issued by it then, but its points are outstanding now.
            report = try decode(
                LiabilityReport.self, try await app.request(.get, "/api/v1/reports/liability?from=2020-01&to=2020-02", as: .crmRead))
            #expect(report.campaigns.first?.issued == 0 && report.campaigns.first?.outstanding == 20)
        }
    }
}
