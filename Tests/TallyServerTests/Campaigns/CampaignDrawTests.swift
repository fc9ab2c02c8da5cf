import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyCore
import TallyTestSupport
import Testing

/// `GET /api/v1/campaigns/{id}/draws`: every stored draw, recomputed from the secret.
@Suite("Campaign draws over real HTTP")
struct CampaignDrawTests {
    static let prizes: [TestApp.DrawPrize] = [
        .init(key: "pot", points: 5, probabilityPPM: 200_000, stock: 2),
        .init(key: "pen", points: 1, probabilityPPM: 500_000, stock: 100),
    ]

    @Test("every draw the claims made, page by page, recomputed from the secret with the published recipe")
    func recomputed() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let campaign = try await app.reportCampaign(TestApp.drawEffect(Self.prizes))
            for sequence in 0..<12 { try await app.claimAsMember(batch, Int64(sequence), externalID: "u-\(sequence % 4)") }
            var draws: [CampaignDrawEntry] = []
            var cursor: String?
            repeat {
                let response = try await app.request(
                    .get, "/api/v1/campaigns/\(campaign)/draws?limit=5" + (cursor.map { "&cursor=\($0)" } ?? ""), as: .campaigns)
                #expect(response.status == .ok)
                struct Page: Decodable {
                    let items: [CampaignDrawEntry]
                    let nextCursor: String?
                }
                let page = try decode(Page.self, response)
                draws += page.items
                cursor = page.nextCursor
            } while cursor != nil
            #expect(draws.count == 12 && Set(draws.map(\.serial)).count == 12)
            #expect(draws.map(\.id) == draws.map(\.id).sorted(by: >))
            // The secret as the public gets it, once the campaign has ended.
            let secret = try await app.endedSecret(campaign)
            let recipe = Self.prizes.map(\.recipe)
            for draw in draws {
                let ticket = DrawRecipe.ticket(secret: secret, kid: Int(draw.kid), serial: draw.serial)
                #expect(Int(draw.ticket) == ticket)
                #expect(draw.prize == DrawRecipe.prize(ticket: ticket, prizes: recipe))
                #expect((draw.prize == nil) == (draw.outcome == "no_prize"))
            }
            // The pot's stock of two: any third winning ticket found it gone.
            let pots = draws.filter { $0.prize == "pot" }
            #expect(pots.filter { $0.outcome == "awarded" }.count == min(2, pots.count))
        }
    }

    @Test("the recipe in Swift and campaign_ticket in SQL agree (the worked example of the docs)")
    func workedExample() async throws {
        try await TestApp.run { app in
            let sql = try await app.int64("SELECT campaign_ticket(decode(repeat('07', 32), 'hex'), 1::smallint, 1000007)")
            let secret = [UInt8](repeating: 7, count: 32)
            #expect(DrawRecipe.ticket(secret: secret, kid: 1, serial: 1_000_007) == Int(sql))
        }
    }

    @Test("a bad cursor or limit: 400; an unknown campaign: 404; a campaign without a draw has none")
    func refusals() async throws {
        try await TestApp.run { app in
            let campaign = try await app.reportCampaign(#""effect": {"type": "bonus", "points": 5}"#)
            let uri = "/api/v1/campaigns/\(campaign)/draws"
            try await app.expectRefusal(400, "invalid_limit") { try await app.request(.get, uri + "?limit=0", as: .campaigns) }
            try await app.expectRefusal(400, "invalid_limit") { try await app.request(.get, uri + "?limit=201", as: .campaigns) }
            try await app.expectRefusal(400, "invalid_cursor") { try await app.request(.get, uri + "?cursor=0", as: .campaigns) }
            try await app.expectRefusal(404, "campaign_not_found") {
                try await app.request(.get, "/api/v1/campaigns/77/draws", as: .campaigns)
            }
            let none = try await app.request(.get, uri, as: .campaigns)
            #expect(none.status == .ok && String(buffer: none.body) == #"{"items":[]}"#)
        }
    }
}
