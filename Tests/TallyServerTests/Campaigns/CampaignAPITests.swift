import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// `/api/v1/campaigns`: creating, reading, listing and changing campaigns over real HTTP.
@Suite("Campaign API over real HTTP", .serialized)
struct CampaignAPITests {
    /// Every part of a definition, as the issue's example has it.
    static let full = TestApp.campaignBody(
        """
        "priority": 7, "exclusive": true,
        "conditions": {"skus": ["RICE-5KG"], "batches": [1], "regions": ["Shanghai"], "channels": ["tmall"],
                       "weekdays": [1, 2, 3, 4, 5], "hours": {"from": 8, "to": 22}, "tiers": ["gold"],
                       "segment": "lapsed", "lapsed_days": 30, "nth_claim": {"n": 5, "every": true, "within": "campaign"},
                       "first_claim_of_product": true, "awards_per_member": 1},
        "budget": {"points": 100000, "awards": 100, "member_points_per_day": 50, "member_points_per_week": 200,
                   "member_points": 500, "when_exhausted": "base_only"},
        "limits": {"awards_per_phone_per_day": 1, "awards_per_device_per_day": 2, "awards_per_ip_per_day": 5}
        """)

    static let draw = """
        {"type": "draw", "prizes": [
          {"key": "pot", "name": {"zh": "炒锅", "en": "cooking pot"}, "reward": "POT", "probability": 0.001, "stock": 1000},
          {"key": "p88", "name": {"zh": "88积分", "en": "88 points"}, "points": 88, "probability": 0.25, "stock": 40}]}
        """

    @Test("create a draft at version 1 with every part, read it back; the JSON is what the API promises")
    func createAndGet() async throws {
        try await TestApp.run { app in
            let batch = try await app.campaignWorld()
            #expect(batch.id == 1)
            let created = try await app.createCampaign(Self.full)
            #expect(created.version == 1 && created.status == .draft && created.draw == nil && created.endedAt == nil)
            #expect(created.name == CampaignName(zh: "春节双倍积分", en: "Spring Festival double points"))
            #expect(created.timeZone == "Asia/Shanghai" && created.priority == 7 && created.exclusive)
            let c = created.conditions
            #expect(c.skus == ["RICE-5KG"] && c.batches == [1] && c.regions == ["Shanghai"] && c.channels == ["tmall"])
            #expect(c.weekdays == [1, 2, 3, 4, 5] && c.hours == .init(from: 8, to: 22) && c.tiers == ["gold"])
            #expect(c.segment == "lapsed" && c.lapsedDays == 30 && c.nthClaim == .init(n: 5, every: true, within: "campaign"))
            #expect(c.firstClaimOfProduct == true && c.awardsPerMember == 1)
            #expect(created.effect == CampaignEffect(type: "bonus", points: 20))
            #expect(created.budget.points == 100_000 && created.budget.awards == 100 && created.budget.memberPointsPerDay == 50)
            #expect(created.budget.memberPointsPerWeek == 200 && created.budget.memberPoints == 500)
            #expect(created.budget.whenExhausted == "base_only" && created.budget.pointsLeft == 100_000 && created.budget.awardsLeft == 100)
            #expect(
                created.limits.awardsPerPhonePerDay == 1 && created.limits.awardsPerDevicePerDay == 2
                    && created.limits.awardsPerIpPerDay == 5)
            #expect(try await app.campaign(created.id) == created)

            // The database holds the typed columns, the budgets in slices, and a secret.
            let rows = try await app.database.query(
                """
                SELECT v.product_ids = ARRAY[(SELECT id FROM products WHERE sku = 'RICE-5KG')], length(c.secret),
                       (SELECT sum(units) FROM campaign_budget_slices WHERE campaign_id = c.id AND budget = 'points')::int8
                FROM campaigns c JOIN campaign_versions v ON v.campaign_id = c.id WHERE c.id = \(created.id)
                """, logger: TestDatabase.logger)
            for try await (products, secret, points) in rows.decode((Bool, Int, Int64).self) {
                #expect(products && secret == 32 && points == 100_000)
            }

            // A minimal one: no conditions, budgets or limits; defaults shown, nothing else.
            let plain = try await app.request(.post, "/api/v1/campaigns", as: .campaigns, json: TestApp.campaignBody())
            #expect(plain.status == .created)
            let json = String(buffer: plain.body)
            #expect(json.contains(#""conditions":{}"#) && json.contains(#""limits":{}"#))
            #expect(json.contains(#""budget":{"when_exhausted":"stop"}"#) && json.contains(#""priority":0"#))
            #expect(!json.contains("secret") && !json.contains("null"))

            let draw = try await app.createCampaign(
                TestApp.campaignBody().replacingOccurrences(
                    of: #""effect": {"type": "bonus", "points": 20}"#, with: #""effect": \#(Self.draw)"#))
            let prizes = try #require(draw.effect.prizes)
            #expect(prizes.map(\.key) == ["pot", "p88"] && prizes.map(\.reward) == ["POT", nil] && prizes.map(\.points) == [nil, 88])
            #expect(prizes.map(\.probability) == [0.001, 0.25] && prizes.map(\.stock) == [1000, 40] && prizes.map(\.left) == [1000, 40])
            let ppm = try await app.database.query(
                "SELECT array_agg(probability_ppm ORDER BY position) FROM campaign_prizes WHERE campaign_id = \(draw.id)",
                logger: TestDatabase.logger)
            for try await stored in ppm.decode([Int].self) { #expect(stored == [1000, 250_000]) }

            let missing = try await app.request(.get, "/api/v1/campaigns/999", as: .campaigns)
            #expect(try missing.status == .notFound && (errorCode(missing)) == "campaign_not_found")
            let bad = try await app.request(.get, "/api/v1/campaigns/abc", as: .campaigns)
            #expect(try bad.status == .notFound && (errorCode(bad)) == "campaign_not_found")
        }
    }

    @Test("an Idempotency-Key makes a retried creation one draft")
    func idempotentCreate() async throws {
        try await TestApp.run { app in
            let headers: HTTPFields = [TestApp.idempotencyKey: "campaign-1"]
            let first = try await app.request(.post, "/api/v1/campaigns", as: .campaigns, json: TestApp.campaignBody(), headers: headers)
            let again = try await app.request(.post, "/api/v1/campaigns", as: .campaigns, json: TestApp.campaignBody(), headers: headers)
            #expect(first.status == .created && again.status == .created)
            #expect(again.headers[TestApp.idempotentReplayed] == "true")
            #expect(try decode(Campaign.self, first) == decode(Campaign.self, again))
            let other = try await app.request(
                .post, "/api/v1/campaigns", as: .campaigns, json: TestApp.campaignBody(#""priority": 1"#), headers: headers)
            #expect(try other.status == .unprocessableContent && (errorCode(other)) == "idempotency_key_reused")
            #expect(try await app.count("campaigns") == 1)
            #expect(try await app.count("campaign_changes") == 1)
        }
    }

    @Test("the list pages newest first and filters by the status shown")
    func listAndFilter() async throws {
        try await TestApp.run { app in
            let draft = try await app.createCampaign()
            let live = try await app.createCampaign()
            let scheduled = try await app.createCampaign(TestApp.campaignBody(starts: "2098-01-01T00:00:00Z"))
            let paused = try await app.createCampaign()
            let ended = try await app.createCampaign()
            let pastEnd = try await app.createCampaign()
            for id in [live.id, scheduled.id, paused.id, pastEnd.id] { #expect(try await app.step(id, "schedule").status == .ok) }
            #expect(try await app.step(paused.id, "pause").status == .ok)
            #expect(try await app.step(ended.id, "end").status == .ok)
            // Time passes for one scheduled campaign: its window is over.
            try await app.sql(
                "UPDATE campaign_versions SET ends_at = now() - interval '1 second', starts_at = '2019-01-01' WHERE campaign_id = \(pastEnd.id)"
            )

            let expected: [(String, [Int64])] = [
                ("draft", [draft.id]), ("live", [live.id]), ("scheduled", [scheduled.id]), ("paused", [paused.id]),
                ("ended", [pastEnd.id, ended.id]),
            ]
            for (status, ids) in expected {
                let page = try decode(
                    CampaignPageBody<Campaign>.self, try await app.request(.get, "/api/v1/campaigns?status=\(status)", as: .campaigns))
                #expect(page.items.map(\.id) == ids, "\(status)")
                #expect(page.items.allSatisfy { $0.status.rawValue == status }, "\(status)")
            }
            var seen: [Int64] = []
            var cursor: String? = nil
            repeat {
                let uri = "/api/v1/campaigns?limit=4" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try decode(CampaignPageBody<Campaign>.self, try await app.request(.get, uri, as: .campaigns))
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == [pastEnd.id, ended.id, paused.id, scheduled.id, live.id, draft.id])

            for query in ["status=running", "limit=0", "limit=201", "cursor=0", "cursor=x"] {
                let response = try await app.request(.get, "/api/v1/campaigns?\(query)", as: .campaigns)
                #expect(response.status == .badRequest, "\(query)")
            }
            #expect(try errorCode(try await app.request(.get, "/api/v1/campaigns?status=running", as: .campaigns)) == "invalid_status")
        }
    }

    @Test("each change is a new version; each part sent replaces that part whole; the versions endpoint shows each")
    func patchMakesVersions() async throws {
        try await TestApp.run { app in
            _ = try await app.campaignWorld()
            let created = try await app.createCampaign(Self.full)
            // conditions replaced whole: only channels remain.
            let v2 = try decode(Campaign.self, try await app.patchCampaign(created.id, #"{"conditions": {"channels": ["jd"]}}"#))
            #expect(
                v2.version == 2
                    && v2.conditions
                        == {
                            var c = CampaignConditions()
                            c.channels = ["jd"]
                            return c
                        }()
            )
            #expect(v2.budget == created.budget && v2.priority == 7 && v2.name == created.name)
            // budget replaced whole: only points, now 5000; the awards budget goes.
            let v3 = try decode(Campaign.self, try await app.patchCampaign(created.id, #"{"budget": {"points": 5000}, "priority": -3}"#))
            #expect(v3.version == 3 && v3.budget.points == 5000 && v3.budget.pointsLeft == 5000 && v3.budget.awards == nil)
            #expect(v3.budget.awardsLeft == nil && v3.budget.whenExhausted == "stop" && v3.priority == -3)
            #expect(try await app.count("campaign_budgets") == 1)
            // The effect: a multiplier, then a draw.
            let v4 = try decode(
                Campaign.self, try await app.patchCampaign(created.id, #"{"effect": {"type": "multiplier", "factor": 2.5}}"#))
            #expect(v4.effect == CampaignEffect(type: "multiplier", factor: 2.5))
            let v5 = try decode(Campaign.self, try await app.patchCampaign(created.id, #"{"effect": \#(Self.draw)}"#))
            #expect(v5.version == 5 && v5.effect.prizes?.count == 2)
            #expect(try await app.count("campaign_budgets") == 3)
            // Sending the same again changes nothing and makes no version.
            let same = try decode(Campaign.self, try await app.patchCampaign(created.id, #"{"priority": -3}"#))
            let fetched = try await app.campaign(created.id)
            #expect(same.version == 5 && same == fetched)
            // A scheduled, live campaign may change too.
            #expect(try await app.step(created.id, "schedule").status == .ok)
            let v6 = try decode(Campaign.self, try await app.patchCampaign(created.id, #"{"name": {"zh": "新", "en": "New"}}"#))
            #expect(v6.version == 6 && v6.status == .live)

            let versions = try await app.campaignVersions(created.id)
            #expect(versions.map(\.version) == [6, 5, 4, 3, 2, 1])
            #expect(versions.allSatisfy { $0.createdBy == app.campaignsActor })
            #expect(
                versions[5].conditions == created.conditions && versions[5].budget.points == 100_000 && versions[5].budget.pointsLeft == nil
            )
            #expect(versions[4].conditions.channels == ["jd"] && versions[3].budget.points == 5000)
            #expect(versions[2].effect.type == "multiplier" && versions[1].effect.prizes?.map(\.key) == ["pot", "p88"])
            #expect(versions[0].name.en == "New")
            #expect(try await app.count("campaign_versions") == 6)

            let page = try decode(
                CampaignPageBody<CampaignVersion>.self,
                try await app.request(.get, "/api/v1/campaigns/\(created.id)/versions?limit=4", as: .campaigns))
            #expect(page.items.map(\.version) == [6, 5, 4, 3] && page.nextCursor == "3")
            let rest = try decode(
                CampaignPageBody<CampaignVersion>.self,
                try await app.request(.get, "/api/v1/campaigns/\(created.id)/versions?limit=4&cursor=3", as: .campaigns))
            #expect(rest.items.map(\.version) == [2, 1] && rest.nextCursor == nil)
            let none = try await app.request(.get, "/api/v1/campaigns/77/versions", as: .campaigns)
            #expect(try none.status == .notFound && (errorCode(none)) == "campaign_not_found")
        }
    }

    @Test("the scope campaigns reads and writes; other keys get 403; admin works")
    func scopes() async throws {
        try await TestApp.run { app in
            let created = try await app.createCampaign()
            let writes: [(HTTPRequest.Method, String, String?)] = [
                (.post, "/api/v1/campaigns", TestApp.campaignBody()), (.get, "/api/v1/campaigns", nil),
                (.get, "/api/v1/campaigns/\(created.id)", nil), (.patch, "/api/v1/campaigns/\(created.id)", #"{"priority": 1}"#),
                (.post, "/api/v1/campaigns/\(created.id)/schedule", nil), (.get, "/api/v1/campaigns/\(created.id)/versions", nil),
                (.get, "/api/v1/campaigns/\(created.id)/changes", nil),
            ]
            for scope in Scope.allCases where scope != .campaigns && scope != .admin {
                for (method, uri, json) in writes {
                    let response = try await app.request(method, uri, as: scope, json: json)
                    #expect(response.status == .forbidden, "\(method) \(uri) as \(scope)")
                    #expect(try errorCode(response) == "forbidden")
                }
            }
            #expect(try await app.count("campaign_changes") == 1)
            for (method, uri, json) in writes {
                let response = try await app.request(method, uri, as: .admin, json: json)
                #expect(response.status.code < 300, "\(method) \(uri) as admin: \(String(buffer: response.body))")
            }
            let unauthenticated = try await app.request(.get, "/api/v1/campaigns", as: nil)
            #expect(unauthenticated.status == .unauthorized)
        }
    }
}
