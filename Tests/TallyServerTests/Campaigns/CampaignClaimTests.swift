import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// Live campaigns applied to claims (db/functions/apply_campaigns.sql): each condition, each
/// effect, the budgets and limits, over real HTTP, with the awards as the claim answers them
/// and as the database holds them, and the invariants (I8, I9) after.
@Suite("Campaigns applied to claims over real HTTP")
struct CampaignClaimTests {
    static let bonus = #""effect": {"type": "bonus", "points": 20}"#

    static func named(_ en: String) -> String { #""name": {"zh": "活动\#(en)", "en": "\#(en)""# + "}" }

    // MARK: Effects

    @Test("a bonus is its own ledger entry of kind campaign, with its lot, in the answer and the balance")
    func bonusEffect() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let campaign = try await app.liveCampaign(#"{\#(Self.named("Spring")), \#(Self.bonus)}"#)
            let answer = try await app.campaignClaim(batch, 0)
            #expect(answer.points == 10 && answer.balance == 30)
            #expect(answer.awards.count == 1)
            let award = try #require(answer.awards.first)
            #expect(award.campaignId == campaign && award.version == 1 && award.effect == "bonus" && award.points == 20)
            #expect(award.name == .init(zh: "活动Spring", en: "Spring"))
            #expect(
                try await app.int64(
                    "SELECT count(*) FROM ledger_entries WHERE kind = 'campaign' AND campaign_id = \(campaign) AND campaign_version = 1 AND points = 20 AND balance_after = 30"
                ) == 1)
            #expect(try await app.int64("SELECT count(*) FROM point_lots WHERE source = 'campaign' AND expires_at IS NOT NULL") == 1)
            #expect(try await app.awardOutcomes(campaign) == ["awarded"])
            try await app.expectInvariants()
        }
    }

    @Test("a multiplier awards the extra over the base points, rounded up")
    func multiplierEffect() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            try await app.liveCampaign(#"{\#(Self.named("Double")), "effect": {"type": "multiplier", "factor": 2.5}}"#)
            let answer = try await app.campaignClaim(batch, 0)
            #expect(answer.awards.map(\.points) == [15])
            #expect(answer.balance == 25)
            try await app.expectInvariants()
        }
    }

    @Test("a voucher is a redemption that cost nothing and takes the reward's stock; cancelled, only the unit goes back")
    func voucherEffect() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            _ = try await app.createReward(#"{"sku": "POT-1", "name": "Cooking pot", "cost_points": 5000, "stock": 1}"#)
            try await app.liveCampaign(#"{\#(Self.named("Pot")), "effect": {"type": "voucher", "reward": "POT-1"}}"#)
            let first = try await app.campaignClaim(batch, 0)
            let award = try #require(first.awards.first)
            #expect(award.effect == "voucher" && award.points == 0 && award.reward == .init(sku: "POT-1", name: "Cooking pot"))
            #expect(award.voucher?.count == 19)
            #expect(first.balance == 10)
            #expect(try await app.stock("POT-1").left == 0)
            // The last unit is gone: the next claim gets its base points only.
            let second = try await app.campaignClaim(batch, 1)
            #expect(second.awards.isEmpty && second.balance == 20)
            let redemption = try #require(award.redemptionId)
            let cancelled = try await app.cancel(redemption)
            #expect(cancelled.status == .ok, "\(String(buffer: cancelled.body))")
            #expect(try await app.stock("POT-1").left == 1)
            #expect(try await app.int64("SELECT balance FROM members WHERE id = '\(first.memberId)'") == 20)
            try await app.expectInvariants()
        }
    }

    @Test("a draw's ticket is the HMAC of the campaign's secret and the code: the same code draws the same, and I9 recomputes it")
    func drawEffect() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let campaign = try await app.liveCampaign(
                #"""
                {\#(Self.named("Lucky")), "effect": {"type": "draw", "prizes": [
                    {"key": "red", "name": {"zh": "红包", "en": "red packet"}, "points": 8, "probability": 0.5, "stock": 1000}]}}
                """#)
            var won = 0
            for sequence in 0..<20 {
                let answer = try await app.campaignClaim(batch, Int64(sequence))
                won += answer.awards.count
                #expect(answer.awards.allSatisfy { $0.prize?.key == "red" && $0.points == 8 })
            }
            // About half the codes win; each code's ticket is fixed.
            #expect((3...17).contains(won))
            #expect(try await app.awardOutcomes(campaign).count == 20)
            #expect(
                try await app.int64(
                    """
                    SELECT count(*) FROM campaign_awards a JOIN campaigns c ON c.id = a.campaign_id
                    WHERE a.ticket = campaign_ticket(c.secret, a.kid, a.serial)
                      AND (a.outcome = 'awarded') = (a.ticket < 500000)
                    """) == 20)
            try await app.expectInvariants()
        }
    }

    // MARK: Conditions

    @Test("products, batches, regions and channels: a claim outside any of them gets nothing")
    func claimConditions() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch(extra: #", "region": "Shanghai""#)
            try await app.createProduct(sku: "OIL-1L", gtin: nil)
            let oil = try await app.createActiveBatch(#"{"sku": "OIL-1L", "quantity": 10, "region": "Beijing"}"#)
            try await app.liveCampaign(
                #"{\#(Self.named("Rice")), \#(Self.bonus), "conditions": {"skus": ["RICE-5KG"], "regions": ["Shanghai"], "channels": ["wechat_unionid"], "batches": [\#(batch.id)]}}"#
            )
            #expect(try await app.campaignClaim(batch, 0).awards.count == 1)
            #expect(try await app.campaignClaim(oil, 0).awards.isEmpty)
            let other = try await app.liveCampaign(
                #"{\#(Self.named("Tmall")), \#(Self.bonus), "conditions": {"channels": ["tmall"]}}"#)
            #expect(try await app.campaignClaim(batch, 1).awards.count == 1)
            #expect(try await app.awardOutcomes(other).isEmpty)
            try await app.expectInvariants()
        }
    }

    @Test("weekdays and hours are the campaign's local time: today and now match, the others do not")
    func timeConditions() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
            let now = Date()
            let weekday = (calendar.component(.weekday, from: now) + 5) % 7 + 1 // ISO: Monday 1
            let hour = calendar.component(.hour, from: now)
            let otherDay = weekday % 7 + 1
            let matching = try await app.liveCampaign(
                #"{\#(Self.named("Now")), \#(Self.bonus), "conditions": {"weekdays": [\#(weekday)], "hours": {"from": \#(hour), "to": \#(hour + 1)}}}"#
            )
            let wrongDay = try await app.liveCampaign(
                #"{\#(Self.named("Day")), \#(Self.bonus), "conditions": {"weekdays": [\#(otherDay)]}}"#)
            let wrongHour = try await app.liveCampaign(
                #"{\#(Self.named("Hour")), \#(Self.bonus), "conditions": {"hours": {"from": \#((hour + 2) % 24), "to": \#((hour + 3) % 24 == 0 ? 24 : (hour + 3) % 24)}}}"#
            )
            let answer = try await app.campaignClaim(batch, 0)
            #expect(answer.awards.map(\.campaignId) == [matching])
            #expect(try await app.awardOutcomes(wrongDay).isEmpty)
            #expect(try await app.awardOutcomes(wrongHour).isEmpty)
        }
    }

    @Test("segments: a member's first claim ever, a returning member, a member lapsed for N days")
    func segmentConditions() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let new = try await app.liveCampaign(#"{\#(Self.named("New")), \#(Self.bonus), "conditions": {"segment": "new"}}"#)
            let returning = try await app.liveCampaign(#"{\#(Self.named("Back")), \#(Self.bonus), "conditions": {"segment": "returning"}}"#)
            let lapsed = try await app.liveCampaign(
                #"{\#(Self.named("Lapsed")), \#(Self.bonus), "conditions": {"segment": "lapsed", "lapsed_days": 30}}"#)
            #expect(Set(try await app.campaignClaim(batch, 0).awards.map(\.campaignId)) == [new])
            #expect(Set(try await app.campaignClaim(batch, 1).awards.map(\.campaignId)) == [returning])
            // The member's last claim 40 days ago: lapsed (and returning).
            try await app.backdateClaims("40 days")
            #expect(Set(try await app.campaignClaim(batch, 2).awards.map(\.campaignId)) == [returning, lapsed])
            try await app.expectInvariants()
        }
    }

    @Test("the nth claim: exactly the 3rd overall, every 2nd since the campaign started")
    func nthClaimConditions() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            // A claim before the campaigns: the 1st overall.
            _ = try await app.campaignClaim(batch, 0)
            // With the rollups rebuilt: two hours back can be yesterday in the rollups' time zone.
            try await app.backdateClaims("2 hours")
            let third = try await app.liveCampaign(
                #"{\#(Self.named("Third")), \#(Self.bonus), "conditions": {"nth_claim": {"n": 3, "every": false, "within": "overall"}}}"#)
            let everySecond = try await app.liveCampaign(
                #"{\#(Self.named("Second")), \#(Self.bonus), "conditions": {"nth_claim": {"n": 2, "every": true, "within": "campaign"}}}"#)
            var won: [[Int64]] = []
            for sequence in 1...5 { won.append(try await app.campaignClaim(batch, Int64(sequence)).awards.map(\.campaignId).sorted()) }
            // Claims 2–6 overall are the campaign's 1st–5th.
            #expect(won == [[], [third, everySecond].sorted(), [], [everySecond], []])
            try await app.expectInvariants()
        }
    }

    @Test("the first claim of a product, the member's tier, and a limit of awards per member")
    func memberConditions() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            try await app.createProduct(sku: "OIL-1L", gtin: nil)
            let oil = try await app.createActiveBatch(#"{"sku": "OIL-1L", "quantity": 10}"#)
            let first = try await app.liveCampaign(
                #"{\#(Self.named("First")), \#(Self.bonus), "conditions": {"first_claim_of_product": true}}"#)
            let once = try await app.liveCampaign(#"{\#(Self.named("Once")), \#(Self.bonus), "conditions": {"awards_per_member": 1}}"#)
            #expect(Set(try await app.campaignClaim(batch, 0).awards.map(\.campaignId)) == [first, once])
            #expect(try await app.campaignClaim(batch, 1).awards.isEmpty)
            #expect(Set(try await app.campaignClaim(oil, 0).awards.map(\.campaignId)) == [first])
            // Another member has their own first claims and their own award.
            #expect(Set(try await app.campaignClaim(batch, 2, externalID: "member-2").awards.map(\.campaignId)) == [first, once])

            try await app.expectInvariants()
        }
    }

    @Test("the member's tier when it claims")
    func tierCondition() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let settings = try await app.request(
                .put, "/api/v1/programme", as: .admin,
                json:
                    #"{"points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": 72, "tiers": [{"name": "gold", "min_earned": 10}]}"#
            )
            #expect(settings.status == .ok, "\(String(buffer: settings.body))")
            let gold = try await app.liveCampaign(#"{\#(Self.named("Gold")), \#(Self.bonus), "conditions": {"tiers": ["gold"]}}"#)
            // A new member has no tier when it claims; its claim makes it gold.
            #expect(try await app.campaignClaim(batch, 0).awards.isEmpty)
            #expect(try await app.campaignClaim(batch, 1).awards.map(\.campaignId) == [gold])
            try await app.expectInvariants()
        }
    }

    // MARK: Priority and exclusivity

    @Test("an exclusive campaign applies alone; with when_exhausted stop it steps aside once its budget is gone")
    func exclusivity() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let stacking = try await app.liveCampaign(#"{\#(Self.named("Low")), \#(Self.bonus), "priority": 1}"#)
            let exclusive = try await app.liveCampaign(
                #"{\#(Self.named("Top")), \#(Self.bonus), "priority": 10, "exclusive": true, "budget": {"awards": 1, "when_exhausted": "stop"}}"#
            )
            #expect(try await app.campaignClaim(batch, 0).awards.map(\.campaignId) == [exclusive])
            #expect(try await app.campaignClaim(batch, 1).awards.map(\.campaignId) == [stacking])
            #expect(try await app.awardOutcomes(exclusive) == ["awarded", "budget_exhausted"])
            try await app.expectInvariants()
        }
    }

    @Test("with when_exhausted base_only a spent exclusive campaign still holds its claims: base points only")
    func baseOnly() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let stacking = try await app.liveCampaign(#"{\#(Self.named("Low")), \#(Self.bonus)}"#)
            let exclusive = try await app.liveCampaign(
                #"{\#(Self.named("Top")), \#(Self.bonus), "priority": 10, "exclusive": true, "budget": {"points": 30, "when_exhausted": "base_only"}}"#
            )
            #expect(try await app.campaignClaim(batch, 0).awards.map(\.campaignId) == [exclusive])
            // 10 points left: a bonus of 20 does not fit, and is not cut.
            let second = try await app.campaignClaim(batch, 1)
            #expect(second.awards.isEmpty && second.balance == 40)
            #expect(try await app.awardOutcomes(stacking).isEmpty)
            try await app.expectInvariants()
        }
    }

    // MARK: Budgets under concurrency

    @Test("200 concurrent claims against a budget of 100 awards: exactly 100 awards, nothing left below zero")
    func awardsBudgetRace() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch(quantity: 200)
            let campaign = try await app.liveCampaign(
                #"{\#(Self.named("Hundred")), "effect": {"type": "bonus", "points": 5}, "budget": {"awards": 100, "points": 100000}}"#)
            // Each claim as a channel's backend sends it: after a 503 (the server's deadline passed
            // while the claims queued for the budget), again with the same key.
            let answers = try await withThrowingTaskGroup(of: (status: Int, body: String).self) { group in
                for sequence in 0..<200 {
                    group.addTask {
                        let body = ClaimAPITests.ClaimBody(
                            code: app.code(batch, Int64(sequence)).text, channel: "wechat_unionid", externalID: "racer-\(sequence % 40)")
                        return try await app.requestUntilAnswered(
                            .post, "/api/v1/claims", as: .claim, json: body.json, key: "race-\(sequence)")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let statuses = answers.map(\.status)
            #expect(statuses.filter { $0 == 201 }.count == 200, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            let outcomes = try await app.awardOutcomes(campaign)
            #expect(outcomes.filter { $0 == "awarded" }.count == 100)
            #expect(outcomes.filter { $0 == "budget_exhausted" }.count == 100)
            #expect(
                try await app.int64(
                    "SELECT sum(units)::int8 FROM campaign_budget_slices WHERE campaign_id = \(campaign) AND budget = 'awards'")
                    == 0)
            #expect(
                try await app.int64(
                    "SELECT sum(units)::int8 FROM campaign_budget_slices WHERE campaign_id = \(campaign) AND budget = 'points'")
                    == 99500)
            #expect(try await app.int64("SELECT count(*) FROM ledger_entries WHERE kind = 'campaign'") == 100)
            try await app.expectInvariants()
        }
    }

    @Test("an award refused when its points budget runs out gives back the award it took: the awards left are exact")
    func budgetGivenBack() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let campaign = try await app.liveCampaign(
                #"{\#(Self.named("Thirty")), "effect": {"type": "bonus", "points": 10}, "budget": {"awards": 50, "points": 30}}"#)
            for sequence in 0..<20 { _ = try await app.campaignClaim(batch, Int64(sequence)) }
            let outcomes = try await app.awardOutcomes(campaign)
            #expect(outcomes.filter { $0 == "awarded" }.count == 3 && outcomes.filter { $0 == "budget_exhausted" }.count == 17)
            // Each of the 17 took one award and gave it back to one slice: 50 − 3 left, not more, not fewer.
            #expect(
                try await app.int64(
                    "SELECT sum(units)::int8 FROM campaign_budget_slices WHERE campaign_id = \(campaign) AND budget = 'awards'") == 47)
            try await app.expectInvariants()
        }
    }

    @Test("50 concurrent claims racing for the last unit of a prize: exactly one wins it")
    func lastPrizeRace() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch(quantity: 50)
            let campaign = try await app.liveCampaign(
                #"""
                {\#(Self.named("Pot")), "effect": {"type": "draw", "prizes": [
                    {"key": "pot", "name": {"zh": "炒锅", "en": "cooking pot"}, "points": 500, "probability": 1, "stock": 1}]}}
                """#)
            let answers = try await withThrowingTaskGroup(of: Data.self) { group in
                for sequence in 0..<50 {
                    group.addTask {
                        let body = ClaimAPITests.ClaimBody(
                            code: app.code(batch, Int64(sequence)).text, channel: "wechat_unionid", externalID: "racer-\(sequence)")
                        let response = try await ClaimAPITests.claimOnOwnConnection(app, body)
                        return Data(Array(buffer: response.body ?? ByteBuffer()))
                    }
                }
                return try await group.reduce(into: [Data]()) { $0.append($1) }
            }
            let won = try answers.map { try JSONDecoder.snakeCase.decode(CampaignClaimAnswer.self, from: $0) }.filter { !$0.awards.isEmpty }
            #expect(won.count == 1)
            let outcomes = try await app.awardOutcomes(campaign)
            #expect(outcomes.filter { $0 == "awarded" }.count == 1 && outcomes.filter { $0 == "out_of_stock" }.count == 49)
            try await app.expectInvariants()
        }
    }

    @Test("per-member budgets: points per member per day, and in all")
    func memberBudgets() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let campaign = try await app.liveCampaign(
                #"{\#(Self.named("Daily")), \#(Self.bonus), "budget": {"member_points_per_day": 40, "member_points": 60}}"#)
            for sequence in 0..<3 { _ = try await app.campaignClaim(batch, Int64(sequence)) }
            #expect(try await app.awardOutcomes(campaign) == ["awarded", "awarded", "budget_exhausted"])
            // Yesterday's awards no longer count for the day, but still for the campaign (60).
            try await app.sql("UPDATE campaign_awards SET awarded_at = \(TestApp.dayEarlier("awarded_at"))")
            for sequence in 3..<5 { _ = try await app.campaignClaim(batch, Int64(sequence)) }
            #expect(try await app.awardOutcomes(campaign).suffix(2) == ["awarded", "budget_exhausted"])
            try await app.expectInvariants()
        }
    }

    @Test("abuse limits: awards per phone and per address per day")
    func abuseLimits() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let perPhone = try await app.liveCampaign(
                #"{\#(Self.named("Phone")), \#(Self.bonus), "limits": {"awards_per_phone_per_day": 1}}"#)
            let perAddress = try await app.liveCampaign(
                #"{\#(Self.named("Address")), \#(Self.bonus), "limits": {"awards_per_ip_per_day": 3}}"#)
            _ = try await app.campaignClaim(batch, 0, externalID: "a", phone: "+8613800138000")
            _ = try await app.campaignClaim(batch, 1, externalID: "a", phone: "+8613800138000")
            // Other accounts from the same address (the test client's): three awards a day.
            _ = try await app.campaignClaim(batch, 2, externalID: "b")
            _ = try await app.campaignClaim(batch, 3, externalID: "c")
            #expect(try await app.awardOutcomes(perPhone) == ["awarded", "limit_reached", "awarded", "awarded"])
            #expect(try await app.awardOutcomes(perAddress) == ["awarded", "awarded", "awarded", "limit_reached"])
            try await app.expectInvariants()
        }
    }

    // MARK: Answers, events, versions

    @Test("a retried API claim answers the same awards, and awards nothing twice")
    func replay() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            try await app.liveCampaign(#"{\#(Self.named("Spring")), \#(Self.bonus)}"#)
            let key = UUID().uuidString
            let first = try await app.campaignClaim(batch, 0, key: key)
            let again = try await app.campaignClaim(batch, 0, key: key)
            #expect(first.awards == again.awards && first.balance == again.balance && first.awards.count == 1)
            #expect(try await app.int64("SELECT count(*) FROM ledger_entries WHERE kind = 'campaign'") == 1)
        }
    }

    @Test("an award writes a campaign.awarded event for its subscribers")
    func awardedEvent() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let subscribed = try await app.request(
                .post, "/api/v1/webhooks", as: .admin, json: #"{"url": "http://127.0.0.1:9/hook", "event_types": ["campaign.awarded"]}"#)
            #expect(subscribed.status == .created, "\(String(buffer: subscribed.body))")
            let campaign = try await app.liveCampaign(#"{\#(Self.named("Spring")), \#(Self.bonus)}"#)
            let answer = try await app.campaignClaim(batch, 0)
            #expect(
                try await app.int64(
                    """
                    SELECT count(*) FROM outbox_events WHERE type = 'campaign.awarded'
                      AND payload -> 'data' ->> 'campaign_id' = '\(campaign)' AND payload -> 'data' ->> 'points' = '20'
                      AND member_id = '\(answer.memberId)'
                    """) == 1)
        }
    }

    @Test("a change of a live campaign makes a new version; awards made before keep theirs")
    func versions() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let campaign = try await app.liveCampaign(#"{\#(Self.named("Spring")), \#(Self.bonus)}"#)
            #expect(try await app.campaignClaim(batch, 0).awards.first?.version == 1)
            let patched = try await app.request(
                .patch, "/api/v1/campaigns/\(campaign)", as: .campaigns, json: #"{"effect": {"type": "bonus", "points": 50}}"#)
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            let after = try await app.campaignClaim(batch, 1)
            #expect(after.awards.first?.version == 2 && after.awards.first?.points == 50)
            #expect(
                try await app.int64(
                    "SELECT count(*) FROM ledger_entries WHERE campaign_id = \(campaign) AND campaign_version = 1 AND points = 20")
                    == 1)
            try await app.expectInvariants()
        }
    }

    @Test("the landing page says what was won, in Chinese and in English; the device limit counts the browser")
    func landingPage() async throws {
        try await TestApp.run(configure: { $0.sessionKey = ConcurrentClaimTests.sessionKey }) { app in
            let batch = try await app.activeBatch()
            _ = try await app.createReward(#"{"sku": "POT-1", "name": "Cooking pot", "cost_points": 5000, "stock": 5}"#)
            try await app.liveCampaign(#"{"name": {"zh": "春节奖励", "en": "Spring Festival bonus"}, \#(Self.bonus)}"#)
            let pot = try await app.liveCampaign(
                #"{"name": {"zh": "锅具有礼", "en": "Pot gift"}, "effect": {"type": "voucher", "reward": "POT-1"}, "limits": {"awards_per_device_per_day": 1}}"#
            )
            var (browser, _, csrf) = try await ConcurrentClaimTests.signedIn(app, phone: "13800138000")
            let chinese = String(buffer: try await browser.post("/Q/\(app.code(batch, 0).text)/claim", form: ["csrf": csrf]).body)
            #expect(chinese.contains("春节奖励：额外获得 20 积分"), "\(chinese)")
            #expect(chinese.contains("锅具有礼：恭喜获得Cooking pot，兑换码 "))
            browser.acceptLanguage = "en"
            let english = String(buffer: try await browser.post("/Q/\(app.code(batch, 1).text)/claim", form: ["csrf": csrf]).body)
            #expect(english.contains("Spring Festival bonus: +20 bonus points"), "\(english)")
            // The same browser's second voucher in a day is over the device limit.
            #expect(!english.contains("Pot gift"))
            #expect(try await app.awardOutcomes(pot) == ["awarded", "limit_reached"])
            try await app.expectInvariants()
        }
    }

    @Test("preview: what a member would get for a code, a draft tried as if live, and nothing written")
    func preview() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.campaignClaim(batch, 0).memberId
            try await app.liveCampaign(#"{\#(Self.named("Spring")), \#(Self.bonus)}"#)
            let draft = try await app.liveCampaign(#"{\#(Self.named("Draft")), "effect": {"type": "bonus", "points": 7}}"#, schedule: false)
            let before = try await app.databaseDigest()
            let body = #"{"code": "\#(app.code(batch, 1).text)", "member_id": "\#(member)", "campaign_id": \#(draft)}"#
            let response = try await app.request(.post, "/api/v1/campaigns/preview", as: .campaigns, json: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            struct Preview: Decodable {
                let result: String
                let points: Int?
                let balanceAfter: Int64?
                let awards: [CampaignClaimAnswer.Award]
            }
            let answer = try decode(Preview.self, response)
            #expect(answer.result == "claimable" && answer.points == 10 && answer.balanceAfter == 10 + 10 + 20 + 7)
            #expect(answer.awards.map(\.points).sorted() == [7, 20])
            #expect(try await app.databaseDigest() == before)

            let claimed = #"{"code": "\#(app.code(batch, 0).text)", "member_id": "\#(member)"}"#
            let already = try decode(Preview.self, try await app.request(.post, "/api/v1/campaigns/preview", as: .campaigns, json: claimed))
            #expect(already.result == "already_claimed" && already.awards.isEmpty)

            // Refusals: each says why, and nothing changes.
            let refusals: [(String, HTTPResponse.Status, String)] = [
                (#"{"code": "\#(app.code(batch, 1).text)", "member_id": "\#(UUID())"}"#, .notFound, "member_not_found"),
                (
                    #"{"code": "\#(app.code(batch, 1).text)", "member_id": "\#(member)", "campaign_id": 999}"#, .notFound,
                    "campaign_not_found"
                ),
                (#"{"code": "NOT-A-CODE", "member_id": "\#(member)"}"#, .unprocessableContent, "malformed_code"),
                (
                    #"{"code": "\#(app.code(batch, 1).text)", "member_id": "\#(member)", "channel": "Web!"}"#, .unprocessableContent,
                    "invalid_channel"
                ),
                (#"{"member_id": "\#(member)"}"#, .badRequest, "invalid_json"),
            ]
            for (json, status, code) in refusals {
                let refused = try await app.request(.post, "/api/v1/campaigns/preview", as: .campaigns, json: json)
                #expect(refused.status == status && (try? errorCode(refused)) == code, "\(json): \(String(buffer: refused.body))")
            }
            #expect(try await app.databaseDigest() == before)
            #expect(try await app.request(.post, "/api/v1/campaigns/\(draft)/end", as: .campaigns).status == .ok)
            let ended = try await app.request(.post, "/api/v1/campaigns/preview", as: .campaigns, json: body)
            #expect(ended.status == .unprocessableContent && (try? errorCode(ended)) == "campaign_ended")
            #expect(try await app.request(.post, "/api/v1/campaigns/preview", as: .crmWrite, json: body).status == .forbidden)
        }
    }

    @Test("the programme jobs end a campaign whose window has passed, in its change log as system")
    func endedByItsWindow() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let campaign = try await app.liveCampaign(#"{\#(Self.named("Short")), \#(Self.bonus)}"#)
            // Time moves on: the window closed a second ago.
            try await app.sql("UPDATE campaign_versions SET ends_at = now() - interval '1 second' WHERE campaign_id = \(campaign)")
            #expect(try await app.campaignClaim(batch, 0).awards.isEmpty)
            let report = try await app.runProgrammeJobs()
            #expect(report.campaignsEnded == 1)
            #expect(try await app.int64("SELECT count(*) FROM campaigns WHERE state = 'ended' AND ended_at IS NOT NULL") == 1)
            #expect(try await app.int64("SELECT count(*) FROM campaign_changes WHERE action = 'ended' AND actor = 'system'") == 1)
            #expect(try await app.runProgrammeJobs().campaignsEnded == 0)
            let changes = try await app.request(.get, "/api/v1/campaigns/\(campaign)/changes", as: .campaigns)
            #expect(changes.status == .ok, "\(String(buffer: changes.body))")
        }
    }

    @Test("a draft, a paused and an ended campaign award nothing")
    func notLive() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let draft = try await app.liveCampaign(#"{\#(Self.named("Draft")), \#(Self.bonus)}"#, schedule: false)
            let paused = try await app.liveCampaign(#"{\#(Self.named("Paused")), \#(Self.bonus)}"#)
            #expect(try await app.request(.post, "/api/v1/campaigns/\(paused)/pause", as: .campaigns).status == .ok)
            let ended = try await app.liveCampaign(#"{\#(Self.named("Ended")), \#(Self.bonus)}"#)
            #expect(try await app.request(.post, "/api/v1/campaigns/\(ended)/end", as: .campaigns).status == .ok)
            let later = try await app.liveCampaign(
                #"{\#(Self.named("Later")), \#(Self.bonus), "starts_at": "\#(RFC3339.string(from: Date().addingTimeInterval(3600)))"}"#)
            #expect(try await app.campaignClaim(batch, 0).awards.isEmpty)
            for campaign in [draft, paused, ended, later] { #expect(try await app.awardOutcomes(campaign).isEmpty) }
        }
    }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
