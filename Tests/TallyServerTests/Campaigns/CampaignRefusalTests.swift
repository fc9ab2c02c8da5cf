import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// Every refusal of a campaign's definition: a 422 with its own code (or a 400 for JSON of the
/// wrong shape), on creation and on a change, and nothing changes: no campaign, version,
/// budget or change-log row.
@Suite("Campaign refusals over real HTTP", .serialized)
struct CampaignRefusalTests {
    static func prize(_ fields: String) -> String {
        #"{"type": "draw", "prizes": [\#(fields)]}"#
    }
    static let potName = #""name": {"zh": "锅", "en": "pot"}"#

    /// (what, the parts to send, the code): each part given replaces that part of a valid campaign.
    static let refusals: [(String, String, String)] = [
        ("window ends before it starts", #""starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z""#, "invalid_window"),
        ("window of no length", #""starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z""#, "invalid_window"),
        ("unknown time zone", #""time_zone": "Mars/Olympus_Mons""#, "invalid_time_zone"),
        ("malformed time zone", #""time_zone": "Asia Shanghai""#, "invalid_time_zone"),
        ("name missing a language", #""name": {"zh": "春节"}"#, "invalid_name"),
        ("empty name", #""name": {"zh": "", "en": "x"}"#, "invalid_name"),
        ("name too long", #""name": {"zh": "春", "en": "\#(String(repeating: "x", count: 101))"}"#, "invalid_name"),
        ("name with a control character", #""name": {"zh": "春\u0007", "en": "x"}"#, "invalid_name"),
        ("priority too high", #""priority": 1001"#, "invalid_priority"),
        ("priority too low", #""priority": -1001"#, "invalid_priority"),
        (
            "probabilities over 1",
            #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": 0.6, "stock": 1}, {"key": "b", \#(potName), "points": 1, "probability": 0.5, "stock": 1}"#))"#,
            "probabilities_over_one"
        ),
        (
            "probability 0", #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": 0, "stock": 1}"#))"#,
            "invalid_probability"
        ),
        (
            "negative probability", #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": -0.1, "stock": 1}"#))"#,
            "invalid_probability"
        ),
        (
            "probability over 1", #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": 1.5, "stock": 1}"#))"#,
            "invalid_probability"
        ),
        (
            "7 decimals", #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": 0.0000001, "stock": 1}"#))"#,
            "invalid_probability"
        ),
        (
            "a probability of 0 millionths (found by the fuzzer)",
            #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": 5e-324, "stock": 1}"#))"#,
            "invalid_probability"
        ),
        (
            "prize without stock", #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": 0.1}"#))"#,
            "invalid_prize_stock"
        ),
        (
            "prize stock 0", #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": 0.1, "stock": 0}"#))"#,
            "invalid_prize_stock"
        ),
        (
            "prize with points and reward",
            #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "reward": "POT", "probability": 0.1, "stock": 1}"#))"#,
            "invalid_prize"
        ),
        ("prize with neither", #""effect": \#(prize(#"{"key": "a", \#(potName), "probability": 0.1, "stock": 1}"#))"#, "invalid_prize"),
        (
            "prize with a bad key", #""effect": \#(prize(#"{"key": "A b", \#(potName), "points": 1, "probability": 0.1, "stock": 1}"#))"#,
            "invalid_prize"
        ),
        ("draw without prizes", #""effect": {"type": "draw", "prizes": []}"#, "invalid_prize"),
        (
            "duplicate prize keys",
            #""effect": \#(prize(#"{"key": "a", \#(potName), "points": 1, "probability": 0.1, "stock": 1}, {"key": "a", \#(potName), "points": 2, "probability": 0.1, "stock": 1}"#))"#,
            "duplicate_prize_key"
        ),
        (
            "prize of an unknown reward",
            #""effect": \#(prize(#"{"key": "a", \#(potName), "reward": "NOPE", "probability": 0.1, "stock": 1}"#))"#, "unknown_reward"
        ),
        ("voucher of an unknown reward", #""effect": {"type": "voucher", "reward": "NOPE"}"#, "unknown_reward"),
        ("condition on an unknown SKU", #""conditions": {"skus": ["RICE-5KG", "NOPE"]}"#, "unknown_product"),
        ("condition on a malformed SKU", #""conditions": {"skus": ["no sku"]}"#, "unknown_product"),
        ("condition on an unknown batch", #""conditions": {"batches": [99]}"#, "unknown_batch"),
        ("condition on an unknown tier", #""conditions": {"tiers": ["platinum"]}"#, "unknown_tier"),
        ("malformed channel", #""conditions": {"channels": ["Tmall"]}"#, "invalid_channels"),
        ("empty SKU list", #""conditions": {"skus": []}"#, "invalid_condition"),
        ("a SKU twice", #""conditions": {"skus": ["RICE-5KG", "RICE-5KG"]}"#, "invalid_condition"),
        ("awards_per_member 0", #""conditions": {"awards_per_member": 0}"#, "invalid_condition"),
        ("empty region", #""conditions": {"regions": [""]}"#, "invalid_region"),
        ("weekday 0", #""conditions": {"weekdays": [0, 1]}"#, "invalid_weekdays"),
        ("weekday 8", #""conditions": {"weekdays": [8]}"#, "invalid_weekdays"),
        ("hour from 24", #""conditions": {"hours": {"from": 24, "to": 2}}"#, "invalid_hours"),
        ("hour to 0", #""conditions": {"hours": {"from": 3, "to": 0}}"#, "invalid_hours"),
        ("hours from == to", #""conditions": {"hours": {"from": 8, "to": 8}}"#, "invalid_hours"),
        ("hours without to", #""conditions": {"hours": {"from": 8}}"#, "invalid_hours"),
        ("unknown segment", #""conditions": {"segment": "vip"}"#, "invalid_segment"),
        ("lapsed without lapsed_days", #""conditions": {"segment": "lapsed"}"#, "invalid_lapsed_days"),
        ("lapsed_days with another segment", #""conditions": {"segment": "new", "lapsed_days": 30}"#, "invalid_lapsed_days"),
        ("nth_claim n 0", #""conditions": {"nth_claim": {"n": 0}}"#, "invalid_nth_claim"),
        ("nth_claim within nowhere", #""conditions": {"nth_claim": {"n": 2, "within": "week"}}"#, "invalid_nth_claim"),
        ("multiplier 1", #""effect": {"type": "multiplier", "factor": 1}"#, "invalid_multiplier"),
        ("multiplier 1.00 in hundredths", #""effect": {"type": "multiplier", "factor": 1.000000001}"#, "invalid_multiplier"),
        ("multiplier below 1", #""effect": {"type": "multiplier", "factor": 0.5}"#, "invalid_multiplier"),
        ("multiplier over 100", #""effect": {"type": "multiplier", "factor": 100.01}"#, "invalid_multiplier"),
        ("multiplier with 3 decimals", #""effect": {"type": "multiplier", "factor": 1.255}"#, "invalid_multiplier"),
        ("bonus 0", #""effect": {"type": "bonus", "points": 0}"#, "invalid_bonus"),
        ("bonus without points", #""effect": {"type": "bonus"}"#, "invalid_bonus"),
        ("effect of an unknown type", #""effect": {"type": "cashback", "points": 5}"#, "invalid_effect"),
        ("effect without a type", #""effect": {"points": 5}"#, "invalid_effect"),
        ("effect with another type's field", #""effect": {"type": "bonus", "points": 5, "factor": 2}"#, "invalid_effect"),
        ("voucher without a reward", #""effect": {"type": "voucher"}"#, "invalid_effect"),
        ("budget 0", #""budget": {"points": 0}"#, "invalid_budget"),
        ("unknown when_exhausted", #""budget": {"when_exhausted": "never"}"#, "invalid_budget"),
        ("limit 0", #""limits": {"awards_per_ip_per_day": 0}"#, "invalid_limits"),
    ]

    /// Bodies of the wrong shape: 400 invalid_json.
    static let malformed: [(String, String)] = [
        ("priority as text", #""priority": "high""#),
        ("weekdays as text", #""conditions": {"weekdays": "weekdays"}"#),
        ("null name", #""name": null"#),
        ("null inside conditions", #""conditions": {"skus": null}"#),
        ("a starts_at that is no date-time", #""starts_at": "tomorrow""#),
        ("a fractional weekday", #""conditions": {"weekdays": [1.5]}"#),
    ]

    @Test("every refused creation is a 422 with its code and creates nothing")
    func refusedCreations() async throws {
        try await TestApp.run { app in
            _ = try await app.campaignWorld()
            let before = try await app.databaseDigest()
            for (what, parts, code) in Self.refusals {
                let body = Self.replacing(TestApp.campaignBody(), with: parts)
                let response = try await app.request(.post, "/api/v1/campaigns", as: .campaigns, json: body)
                #expect(response.status == .unprocessableContent, "\(what): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(what)")
            }
            for (what, parts) in Self.malformed {
                let response = try await app.request(
                    .post, "/api/v1/campaigns", as: .campaigns, json: Self.replacing(TestApp.campaignBody(), with: parts))
                #expect(response.status == .badRequest, "\(what): \(String(buffer: response.body))")
                #expect(try errorCode(response) == "invalid_json", "\(what)")
            }
            // Parts a campaign needs, left out: a 422 naming the part.
            let missing: [(String, String)] = [
                (
                    #"{"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-02-01T00:00:00Z", "time_zone": "UTC", "effect": {"type": "bonus", "points": 1}}"#,
                    "invalid_name"
                ),
                (
                    #"{"name": {"zh": "a", "en": "a"}, "ends_at": "2030-02-01T00:00:00Z", "time_zone": "UTC", "effect": {"type": "bonus", "points": 1}}"#,
                    "invalid_window"
                ),
                (
                    #"{"name": {"zh": "a", "en": "a"}, "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-02-01T00:00:00Z", "effect": {"type": "bonus", "points": 1}}"#,
                    "invalid_time_zone"
                ),
                (
                    #"{"name": {"zh": "a", "en": "a"}, "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-02-01T00:00:00Z", "time_zone": "UTC"}"#,
                    "invalid_effect"
                ),
            ]
            for (body, code) in missing {
                let response = try await app.request(.post, "/api/v1/campaigns", as: .campaigns, json: body)
                #expect(try response.status == .unprocessableContent && (errorCode(response)) == code, "\(body)")
            }
            #expect(try await app.databaseDigest() == before)
        }
    }

    @Test("every refused change is a 422 with its code and changes nothing: no version, no budget, no log row")
    func refusedChanges() async throws {
        try await TestApp.run { app in
            _ = try await app.campaignWorld()
            let campaign = try await app.createCampaign(
                TestApp.campaignBody(#""budget": {"points": 1000, "awards": 10}"#))
            #expect(try await app.step(campaign.id, "schedule").status == .ok)
            let before = try await app.databaseDigest()
            for (what, parts, code) in Self.refusals {
                let response = try await app.patchCampaign(campaign.id, "{\(parts)}")
                #expect(response.status == .unprocessableContent, "\(what): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(what)")
            }
            for (what, parts) in Self.malformed {
                let response = try await app.patchCampaign(campaign.id, "{\(parts)}")
                #expect(try response.status == .badRequest && (errorCode(response)) == "invalid_json", "\(what)")
            }
            // Only one end of the window, before the start that stays.
            let early = try await app.patchCampaign(campaign.id, #"{"ends_at": "2019-12-31T00:00:00Z"}"#)
            #expect(try early.status == .unprocessableContent && (errorCode(early)) == "invalid_window")
            let unknown = try await app.patchCampaign(999, #"{"priority": 1}"#)
            #expect(try unknown.status == .notFound && (errorCode(unknown)) == "campaign_not_found")
            #expect(try await app.databaseDigest() == before)
            #expect(try await app.campaignVersions(campaign.id).count == 1)
        }
    }

    @Test("a budget or a prize's stock lowered below what the awards used is refused with the amount used")
    func budgetBelowUsed() async throws {
        try await TestApp.run { app in
            _ = try await app.campaignWorld()
            let draw = #"{"type": "draw", "prizes": [{"key": "pot", \#(Self.potName), "reward": "POT", "probability": 0.01, "stock": 10}]}"#
            let campaign = try await app.createCampaign(
                TestApp.campaignBody().replacingOccurrences(
                    of: #""effect": {"type": "bonus", "points": 20}"#,
                    with: #""effect": \#(draw), "budget": {"points": 1000, "awards": 10}"#))
            // What the claim path does when it awards: take from the slices.
            try await app.sql(
                """
                UPDATE campaign_budget_slices SET units = units - CASE budget WHEN 'points' THEN 10 ELSE 1 END
                WHERE campaign_id = \(campaign.id) AND slice < 3
                """)
            let now = try await app.campaign(campaign.id)
            #expect(now.budget.pointsLeft == 970 && now.budget.awardsLeft == 7 && now.effect.prizes?.first?.left == 7)
            let before = try await app.databaseDigest()
            let refused: [(String, String)] = [
                (#"{"budget": {"points": 29, "awards": 10}}"#, "30"),
                (#"{"budget": {"points": 1000, "awards": 2}}"#, "3"),
                (
                    #"{"effect": {"type": "draw", "prizes": [{"key": "pot", \#(Self.potName), "reward": "POT", "probability": 0.01, "stock": 2}]}}"#,
                    "3"
                ),
            ]
            for (body, used) in refused {
                let response = try await app.patchCampaign(campaign.id, body)
                #expect(response.status == .unprocessableContent, "\(body): \(String(buffer: response.body))")
                #expect(try errorCode(response) == "budget_below_used", "\(body)")
                #expect(String(buffer: response.body).contains("already used \(used)"), "\(String(buffer: response.body))")
            }
            #expect(try await app.databaseDigest() == before)
            // Down to exactly what is used: nothing left.
            let exact = try decode(Campaign.self, try await app.patchCampaign(campaign.id, #"{"budget": {"points": 30, "awards": 3}}"#))
            #expect(exact.budget.pointsLeft == 0 && exact.budget.awardsLeft == 0 && exact.version == 2)
            // A prize that was won and is taken out keeps its stock row, so that it still counts.
            let bonus = try decode(Campaign.self, try await app.patchCampaign(campaign.id, #"{"effect": {"type": "bonus", "points": 5}}"#))
            #expect(bonus.effect.prizes == nil && bonus.version == 3)
            #expect(try await app.count("campaign_budgets") == 3)
        }
    }

    @Test("an ended campaign cannot change")
    func endedIsFinal() async throws {
        try await TestApp.run { app in
            let campaign = try await app.createCampaign()
            #expect(try await app.step(campaign.id, "end").status == .ok)
            let before = try await app.databaseDigest()
            for body in [#"{"priority": 2}"#, "{}", #"{"ends_at": "2099-06-01T00:00:00Z"}"#] {
                let response = try await app.patchCampaign(campaign.id, body)
                #expect(try response.status == .unprocessableContent && (errorCode(response)) == "campaign_ended", "\(body)")
            }
            #expect(try await app.databaseDigest() == before)
        }
    }

    /// `body` (a JSON object) with the top-level members in `parts` put in place of its own.
    static func replacing(_ body: String, with parts: String) -> String {
        var object = try! JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        let replacement = try! JSONSerialization.jsonObject(with: Data("{\(parts)}".utf8)) as! [String: Any]
        for (key, value) in replacement { object[key] = value }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }
}
