import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyCore
import TallyTestSupport
import Testing

/// `POST /api/v1/campaigns/{id}/backtest`: past claims replayed against a campaign, writing nothing.
@Suite("Campaign backtest over real HTTP")
struct CampaignBacktestTests {
    static func backtest(_ app: TestApp, _ campaign: Int64, days: Int) async throws -> CampaignBacktest {
        let response = try await app.request(.post, "/api/v1/campaigns/\(campaign)/backtest", as: .campaigns, json: #"{"days": \#(days)}"#)
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        return try decode(CampaignBacktest.self, response)
    }

    @Test("a bonus with two awards per member and a budget of 30 points: the awards counted by hand, the day the budget runs out")
    func budgetAndPerMemberLimit() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            // Live while the claims are made: the claim path matched them too, and the replay
            // decides them the same way.
            let campaign = try await app.reportCampaign(
                #""effect": {"type": "bonus", "points": 10}, "conditions": {"awards_per_member": 2}, "budget": {"points": 30}"#)
            let first = try await app.claimAsMember(batch, 0, externalID: "u-a")
            try await app.claimAsMember(batch, 1, externalID: "u-a")
            try await app.claimAsMember(batch, 2, externalID: "u-a")
            let second = try await app.claimAsMember(batch, 3, externalID: "u-b")
            try await app.claimAsMember(batch, 4, externalID: "u-b")
            #expect(try await app.int64("SELECT count(*) FROM campaign_awards WHERE outcome = 'awarded'") == 3)
            // When they were claimed: the first member 3 days ago (two) and 2 days ago, the
            // second 2 days ago and 20 hours ago.
            let ago = ["3 days", "3 days - 1 minute", "2 days", "2 days - 1 minute", "20 hours"]
            for (sequence, interval) in ago.enumerated() {
                try await app.sql(
                    "UPDATE claims SET claimed_at = now() - interval '\(interval)' WHERE serial = \(batch.firstSerial + Int64(sequence))")
            }
            let before = try await app.databaseDigest()
            let result = try await Self.backtest(app, campaign, days: 7)
            #expect(try await app.databaseDigest() == before)
            // A0 and A1 awarded (20 left); A2 not matched (two awards already); B3 awarded (0
            // left); B4 refused: the budget ran out that day.
            #expect(result.campaignId == campaign && result.version == 1 && result.days == 7)
            #expect(result.claimsReplayed == 5 && result.matched == 4 && result.awards == 3 && result.points == 30)
            #expect(result.membersReached == 2 && result.prizes.isEmpty)
            let (lastClaimDay, weekAgo, today) = (
                try await app.shanghaiDay(ago: "20 hours"), try await app.shanghaiDay(ago: "7 days"), try await app.shanghaiDay()
            )
            #expect(result.budgetRunsOutOn == lastClaimDay)
            #expect(result.from == weekAgo && result.to == today)
            #expect(result.perDay.count == 8 && result.perDay.map(\.day) == result.perDay.map(\.day).sorted())
            #expect(result.perDay.reduce(0) { $0 + $1.claims } == 5 && result.perDay.reduce(0) { $0 + $1.awards } == 3)
            #expect(result.perDay.first?.pointsBudgetLeft == 30 && result.perDay.last?.pointsBudgetLeft == 0)
            #expect(result.perDay.allSatisfy { $0.awardsBudgetLeft == nil })
            let day = try await app.shanghaiDay(ago: "3 days")
            let threeDaysAgo = try #require(result.perDay.first { $0.day == day })
            #expect(threeDaysAgo.awards >= 1 && threeDaysAgo.membersReached == 1)
            _ = (first, second)

            // The last day alone: only B4, with the whole budget.
            let lastDay = try await Self.backtest(app, campaign, days: 1)
            #expect(lastDay.claimsReplayed == 1 && lastDay.awards == 1 && lastDay.points == 10 && lastDay.budgetRunsOutOn == nil)
            #expect(lastDay.perDay.last?.pointsBudgetLeft == 20)
        }
    }

    @Test("a draw on a draft: each code's prize from the published recipe, a prize's stock of one running out")
    func draw() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let prizes: [TestApp.DrawPrize] = [
                .init(key: "pot", points: 5, probabilityPPM: 300_000, stock: 1),
                .init(key: "pen", points: 2, probabilityPPM: 400_000, stock: 100),
            ]
            let campaign = try await app.reportCampaign(TestApp.drawEffect(prizes), schedule: false)
            for sequence in 0..<12 { try await app.claimAsMember(batch, Int64(sequence), externalID: "u-\(sequence)") }
            #expect(try await app.count("campaign_awards") == 0)
            let result = try await Self.backtest(app, campaign, days: 30)
            // By hand, in the order claimed: the pot's one unit goes to the first code that wins
            // it. The secret as the public gets it, once the draft has ended.
            let secret = try await app.endedSecret(campaign)
            let recipe = prizes.map(\.recipe)
            var won: [String: Int64] = [:]
            var points: Int64 = 0
            var refused = false
            for sequence in 0..<12 {
                let ticket = DrawRecipe.ticket(secret: secret, kid: batch.kid, serial: batch.firstSerial + Int64(sequence))
                switch DrawRecipe.prize(ticket: ticket, prizes: recipe) {
                case "pot" where won["pot", default: 0] == 1: refused = true
                case "pot":
                    won["pot", default: 0] += 1
                    points += 5
                case "pen":
                    won["pen", default: 0] += 1
                    points += 2
                default: break
                }
            }
            #expect(result.claimsReplayed == 12 && result.matched == 12 && result.points == points)
            #expect(result.awards == won.values.reduce(0, +) && result.membersReached == result.awards)
            let today = try await app.shanghaiDay()
            #expect(result.budgetRunsOutOn == (refused ? today : nil))
            let pots = won["pot", default: 0]
            let pens = won["pen", default: 0]
            #expect(result.prizes.map(\.key) == ["pot", "pen"] && result.prizes.map(\.awarded) == [pots, pens])
            #expect(result.prizes.map(\.stock) == [1, 100] && result.prizes.map(\.left) == [1 - pots, 100 - pens])
            #expect(result.perDay.last?.pointsBudgetLeft == nil)
        }
    }

    @Test("days missing, not a whole number, or outside 1 to 366: 422; an unknown campaign 404; each changes nothing")
    func refusals() async throws {
        try await TestApp.run { app in
            let campaign = try await app.reportCampaign(#""effect": {"type": "bonus", "points": 5}"#)
            let uri = "/api/v1/campaigns/\(campaign)/backtest"
            for json in [
                nil, "{}", #"{"days": 0}"#, #"{"days": 367}"#, #"{"days": -1}"#, #"{"days": "30"}"#, #"{"days": 1.5}"#, #"{"days": 1e30}"#,
            ] {
                try await app.expectRefusal(422, "invalid_backtest_days") { try await app.request(.post, uri, as: .campaigns, json: json) }
            }
            try await app.expectRefusal(400, "invalid_json") { try await app.request(.post, uri, as: .campaigns, json: #"{"days": null}"#) }
            try await app.expectRefusal(404, "campaign_not_found") {
                try await app.request(.post, "/api/v1/campaigns/\(campaign + 1)/backtest", as: .campaigns, json: #"{"days": 30}"#)
            }
            let longest = try await CampaignBacktestTests.backtest(app, campaign, days: 366)
            #expect(longest.perDay.count == 367 && longest.claimsReplayed == 0)
        }
    }
}
