import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// Campaigns for the campaign tests: bodies, requests as the `campaigns` key, and what the
/// database holds of a campaign.
extension TestApp {
    /// A campaign body: a bonus of 20 points, live from 2020 to 2099 once scheduled, with the
    /// JSON members in `extra` (`"priority": 5, …`) added.
    static func campaignBody(_ extra: String = "", starts: String = "2020-01-01T00:00:00Z", ends: String = "2099-01-01T00:00:00Z")
        -> String
    {
        """
        {"name": {"zh": "春节双倍积分", "en": "Spring Festival double points"},
         "starts_at": "\(starts)", "ends_at": "\(ends)", "time_zone": "Asia/Shanghai",
         "effect": {"type": "bonus", "points": 20}\(extra.isEmpty ? "" : ", " + extra)}
        """
    }

    /// Creates a campaign (as the `campaigns` key) and returns it.
    func createCampaign(_ json: String = TestApp.campaignBody()) async throws -> Campaign {
        let response = try await request(.post, "/api/v1/campaigns", as: .campaigns, json: json)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try decode(Campaign.self, response)
    }

    /// Takes a step (schedule, pause, resume, end) and returns the answer.
    func step(_ id: Int64, _ step: String) async throws -> TestResponse {
        try await request(.post, "/api/v1/campaigns/\(id)/\(step)", as: .campaigns)
    }

    func patchCampaign(_ id: Int64, _ json: String) async throws -> TestResponse {
        try await request(.patch, "/api/v1/campaigns/\(id)", as: .campaigns, json: json)
    }

    func campaign(_ id: Int64) async throws -> Campaign {
        let response = try await request(.get, "/api/v1/campaigns/\(id)", as: .campaigns)
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        return try decode(Campaign.self, response)
    }

    func campaignVersions(_ id: Int64) async throws -> [CampaignVersion] {
        let response = try await request(.get, "/api/v1/campaigns/\(id)/versions?limit=200", as: .campaigns)
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        return try decode(CampaignPageBody<CampaignVersion>.self, response).items
    }

    func campaignChanges(_ id: Int64) async throws -> [CampaignChange] {
        let response = try await request(.get, "/api/v1/campaigns/\(id)/changes?limit=200", as: .campaigns)
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        return try decode(CampaignPageBody<CampaignChange>.self, response).items
    }

    /// The actor the `campaigns` test key writes as: `key:` and the secret's prefix.
    var campaignsActor: String { "key:" + secrets[.campaigns]!.prefix(12) }

    /// The product RICE-5KG, an active batch of 10 codes, the tier gold and the reward POT.
    func campaignWorld() async throws -> Batch {
        let batch = try await activeBatch(quantity: 10)
        let programme = try await request(
            .put, "/api/v1/programme", as: .admin,
            json: """
                {"points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": 72,
                 "tiers": [{"name": "silver", "min_earned": 50}, {"name": "gold", "min_earned": 200}]}
                """)
        try #require(programme.status == .ok, "\(String(buffer: programme.body))")
        _ = try await createReward(#"{"sku": "POT", "name": "Cooking pot", "cost_points": 500}"#)
        return batch
    }
}

/// A page of the campaign API's lists.
struct CampaignPageBody<Item: Decodable>: Decodable {
    let items: [Item]
    let nextCursor: String?
}
