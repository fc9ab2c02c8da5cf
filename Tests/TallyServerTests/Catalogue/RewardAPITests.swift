import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// `/api/v1/rewards`: the catalogue, over real HTTP, and what the database holds afterwards.
@Suite("Rewards catalogue API over real HTTP", .serialized)
struct RewardAPITests {
    static let mug = #"""
        {"sku": "MUG-01", "name": "Tally mug", "description": "350 ml, white", "image_url": "https://img.tally.cn/mug.png",
         "cost_points": 100, "stock": 5, "per_member_limit": 2, "channels": ["web", "wechat_miniprogram"]}
        """#

    @Test("create, get and list a reward; a second one with the same SKU is a conflict")
    func createAndRead() async throws {
        try await TestApp.run { app in
            let created = try await app.createReward(Self.mug)
            #expect(created.sku == "MUG-01" && created.name == "Tally mug" && created.description == "350 ml, white")
            #expect(created.imageURL == "https://img.tally.cn/mug.png")
            #expect(created.costPoints == 100 && created.initialStock == 5 && created.stock == 5 && created.perMemberLimit == 2)
            #expect(created.channels == ["web", "wechat_miniprogram"])
            #expect(created.active && created.activeFrom == nil && created.activeUntil == nil)

            let fetched = try await app.request(.get, "/api/v1/rewards/MUG-01", as: .redeem)
            #expect(fetched.status == .ok)
            #expect(try decode(Reward.self, fetched) == created)
            let json = String(buffer: fetched.body)
            #expect(json.contains(#""cost_points":100"#) && json.contains(#""image_url":"#) && !json.contains("null"))

            // Unlimited, with no limit, window or channels: those fields are left out.
            let pen = try await app.createReward(#"{"sku": "PEN", "name": "Pen", "cost_points": 10}"#)
            #expect(
                pen.stock == nil && pen.initialStock == nil && pen.perMemberLimit == nil && pen.channels == nil && pen.description == "")
            let penJSON = String(buffer: try await app.request(.get, "/api/v1/rewards/PEN", as: .redeem).body)
            #expect(!penJSON.contains("stock") && !penJSON.contains("channels"))

            let again = try await app.request(.post, "/api/v1/rewards", as: .crmWrite, json: Self.mug)
            #expect(again.status == .conflict)
            #expect(try errorCode(again) == "sku_taken")
            #expect(try await app.count("rewards") == 2)

            let missing = try await app.request(.get, "/api/v1/rewards/NOPE", as: .redeem)
            #expect(missing.status == .notFound)
            #expect(try errorCode(missing) == "reward_not_found")

            // Scopes: redeem reads, crm:write writes; the other way round is refused.
            #expect(try await app.request(.post, "/api/v1/rewards", as: .redeem, json: Self.mug).status == .forbidden)
            #expect(try await app.request(.patch, "/api/v1/rewards/PEN", as: .redeem, json: "{}").status == .forbidden)
            #expect(try await app.request(.get, "/api/v1/rewards", as: .crmRead).status == .forbidden)
            #expect(try await app.request(.get, "/api/v1/rewards", as: .admin).status == .ok)
        }
    }

    @Test("every bad reward gets a clear error and creates nothing")
    func badCreates() async throws {
        try await TestApp.run { app in
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"sku": "bad sku", "name": "x", "cost_points": 1}"#, .unprocessableContent, "invalid_sku"),
                (#"{"sku": "-X", "name": "x", "cost_points": 1}"#, .unprocessableContent, "invalid_sku"),
                (#"{"sku": "X", "name": "", "cost_points": 1}"#, .unprocessableContent, "invalid_name"),
                (#"{"sku": "X", "name": "a\u0000b", "cost_points": 1}"#, .unprocessableContent, "invalid_name"),
                (#"{"sku": "X", "name": "x", "cost_points": 0}"#, .unprocessableContent, "invalid_cost_points"),
                (#"{"sku": "X", "name": "x", "cost_points": 100000001}"#, .unprocessableContent, "invalid_cost_points"),
                (#"{"sku": "X", "name": "x", "cost_points": 1, "stock": -1}"#, .unprocessableContent, "invalid_stock"),
                (#"{"sku": "X", "name": "x", "cost_points": 1, "per_member_limit": 0}"#, .unprocessableContent, "invalid_per_member_limit"),
                (
                    #"{"sku": "X", "name": "x", "cost_points": 1, "image_url": "javascript:alert(1)"}"#, .unprocessableContent,
                    "invalid_image_url"
                ),
                (#"{"sku": "X", "name": "x", "cost_points": 1, "channels": []}"#, .unprocessableContent, "invalid_channels"),
                (#"{"sku": "X", "name": "x", "cost_points": 1, "channels": ["Web"]}"#, .unprocessableContent, "invalid_channels"),
                (#"{"sku": "X", "name": "x", "cost_points": 1, "channels": ["web", "web"]}"#, .unprocessableContent, "invalid_channels"),
                (
                    #"{"sku": "X", "name": "x", "cost_points": 1, "active_from": "2030-01-02T00:00:00Z", "active_until": "2030-01-01T00:00:00Z"}"#,
                    .unprocessableContent, "invalid_active_window"
                ),
                (#"{"sku": "X", "name": "x"}"#, .badRequest, "invalid_json"),
                (#"{"sku": "X", "name": "x", "cost_points": "many"}"#, .badRequest, "invalid_json"),
                (#"{"sku": "X", "name": "x", "cost_points": 1, "active_from": "next week"}"#, .badRequest, "invalid_json"),
                ("not json", .badRequest, "invalid_json"),
            ]
            for (body, status, code) in cases {
                let response = try await app.request(.post, "/api/v1/rewards", as: .crmWrite, json: body)
                #expect(response.status == status, "\(body): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(body)")
            }
            #expect(try await app.count("rewards") == 0)
        }
    }

    @Test("PATCH changes what is sent, clears with null, checks the reward it would leave, and refuses the rest changing nothing")
    func patch() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(Self.mug)
            let changed = try await app.request(
                .patch, "/api/v1/rewards/MUG-01", as: .crmWrite,
                json: """
                    {"name": "Big mug", "cost_points": 120, "active_from": "2020-01-01T00:00:00Z", "active_until": "2099-01-01T00:00:00Z"}
                    """)
            #expect(changed.status == .ok, "\(String(buffer: changed.body))")
            let mug = try decode(Reward.self, changed)
            #expect(mug.name == "Big mug" && mug.costPoints == 120 && mug.description == "350 ml, white" && mug.stock == 5)
            #expect(mug.activeFrom == ISO8601DateFormatter().date(from: "2020-01-01T00:00:00Z") && mug.active)

            let cleared = try decode(
                Reward.self,
                try await app.request(
                    .patch, "/api/v1/rewards/MUG-01", as: .crmWrite,
                    json: """
                        {"image_url": null, "per_member_limit": null, "channels": null, "active_until": null, "sku": "MUG-01"}
                        """))
            #expect(cleared.imageURL == nil && cleared.perMemberLimit == nil && cleared.channels == nil && cleared.activeUntil == nil)
            #expect(cleared.activeFrom != nil && cleared.name == "Big mug")

            let before = try await RedemptionSnapshot(app)
            let refusals: [(String, String, HTTPResponse.Status, String)] = [
                ("MUG-01", #"{"active_until": "2019-01-01T00:00:00Z"}"#, .unprocessableContent, "invalid_active_window"),
                // Fields that cannot be cleared take no null (the contract does not mark them nullable).
                ("MUG-01", #"{"name": null}"#, .badRequest, "invalid_json"),
                ("MUG-01", #"{"cost_points": null}"#, .badRequest, "invalid_json"),
                ("MUG-01", #"{"description": null}"#, .badRequest, "invalid_json"),
                ("MUG-01", #"{"sku": "MUG-02"}"#, .unprocessableContent, "sku_immutable"),
                ("MUG-01", #"{"stock": 3, "add_stock": 1}"#, .unprocessableContent, "conflicting_stock_changes"),
                ("MUG-01", #"{"add_stock": -6}"#, .unprocessableContent, "stock_below_zero"),
                ("MUG-01", #"{"add_stock": 0}"#, .unprocessableContent, "invalid_add_stock"),
                ("MUG-01", #"{"stock": -1}"#, .unprocessableContent, "invalid_stock"),
                ("MUG-01", #"{"channels": []}"#, .unprocessableContent, "invalid_channels"),
                ("MUG-01", #"{"name": "ok", "cost_points": -5}"#, .unprocessableContent, "invalid_cost_points"),
                ("MUG-01", #"{"cost_points": "x"}"#, .badRequest, "invalid_json"),
                ("MUG-01", "", .badRequest, "invalid_json"),
                ("NOPE", #"{"name": "x"}"#, .notFound, "reward_not_found"),
            ]
            for (sku, body, status, code) in refusals {
                let response = try await app.request(.patch, "/api/v1/rewards/\(sku)", as: .crmWrite, json: body)
                #expect(response.status == status, "\(body): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(body)")
            }
            #expect(try await RedemptionSnapshot(app) == before)
        }
    }

    @Test("restocking keeps initial stock − stock = units in live redemptions")
    func restock() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 10, "stock": 5}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 1000)
            #expect(try await app.redeem(member, #"{"reward": "MUG", "quantity": 2}"#).status == .created)
            #expect(try await app.stock("MUG") == (5, 3))

            var mug = try decode(
                Reward.self, try await app.request(.patch, "/api/v1/rewards/MUG", as: .crmWrite, json: #"{"add_stock": 10}"#))
            #expect(mug.initialStock == 15 && mug.stock == 13)
            mug = try decode(Reward.self, try await app.request(.patch, "/api/v1/rewards/MUG", as: .crmWrite, json: #"{"add_stock": -13}"#))
            #expect(mug.initialStock == 2 && mug.stock == 0)
            // Setting the units available: the initial stock follows the 2 units redeemed.
            mug = try decode(Reward.self, try await app.request(.patch, "/api/v1/rewards/MUG", as: .crmWrite, json: #"{"stock": 4}"#))
            #expect(mug.initialStock == 6 && mug.stock == 4)
            try await app.expectInvariants()

            // Unlimited and back.
            mug = try decode(Reward.self, try await app.request(.patch, "/api/v1/rewards/MUG", as: .crmWrite, json: #"{"stock": null}"#))
            #expect(mug.initialStock == nil && mug.stock == nil)
            let unlimited = try await app.request(.patch, "/api/v1/rewards/MUG", as: .crmWrite, json: #"{"add_stock": 1}"#)
            #expect(unlimited.status == .unprocessableContent)
            #expect(try errorCode(unlimited) == "stock_unlimited")
            #expect(try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#).status == .created)
            mug = try decode(Reward.self, try await app.request(.patch, "/api/v1/rewards/MUG", as: .crmWrite, json: #"{"stock": 1}"#))
            #expect(mug.initialStock == 4 && mug.stock == 1)
            try await app.expectInvariants()
        }
    }

    @Test("listing: SKU order in pages, only active ones, only a channel's")
    func list() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "A-ALL", "name": "Every channel", "cost_points": 1}"#)
            _ = try await app.createReward(#"{"sku": "B-WEB", "name": "Web only", "cost_points": 1, "channels": ["web"]}"#)
            _ = try await app.createReward(#"{"sku": "C-WX", "name": "WeChat only", "cost_points": 1, "channels": ["wechat_miniprogram"]}"#)
            _ = try await app.createReward(
                #"{"sku": "D-SOON", "name": "Not yet", "cost_points": 1, "active_from": "2099-01-01T00:00:00Z"}"#)
            _ = try await app.createReward(#"{"sku": "E-OVER", "name": "Over", "cost_points": 1, "active_until": "2001-01-01T00:00:00Z"}"#)

            struct RewardPage: Decodable {
                let items: [Reward]
                let nextCursor: String?
            }
            func skus(_ query: String) async throws -> ([String], String?) {
                let response = try await app.request(.get, "/api/v1/rewards\(query)", as: .redeem)
                #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                let page = try decode(RewardPage.self, response)
                return (page.items.map(\.sku), page.nextCursor)
            }
            #expect(try await skus("") == (["A-ALL", "B-WEB", "C-WX", "D-SOON", "E-OVER"], nil))
            #expect(try await skus("?limit=2") == (["A-ALL", "B-WEB"], "B-WEB"))
            #expect(try await skus("?limit=2&cursor=B-WEB") == (["C-WX", "D-SOON"], "D-SOON"))
            #expect(try await skus("?limit=2&cursor=D-SOON") == (["E-OVER"], nil))
            #expect(try await skus("?active=true") == (["A-ALL", "B-WEB", "C-WX"], nil))
            #expect(try await skus("?channel=web") == (["A-ALL", "B-WEB", "D-SOON", "E-OVER"], nil))
            #expect(try await skus("?active=true&channel=wechat_miniprogram") == (["A-ALL", "C-WX"], nil))
            #expect(try await skus("?active=false") == (["A-ALL", "B-WEB", "C-WX", "D-SOON", "E-OVER"], nil))
            let soon = try decode(Reward.self, try await app.request(.get, "/api/v1/rewards/D-SOON", as: .redeem))
            #expect(!soon.active)

            for (query, status, code) in [
                ("?active=yes", HTTPResponse.Status.badRequest, "invalid_active"),
                ("?limit=0", .badRequest, "invalid_limit"),
                ("?limit=201", .badRequest, "invalid_limit"),
                ("?channel=Web!", .unprocessableContent, "invalid_channel"),
            ] {
                let response = try await app.request(.get, "/api/v1/rewards\(query)", as: .redeem)
                #expect(response.status == status, "\(query)")
                #expect(try errorCode(response) == code, "\(query)")
            }
        }
    }
}
