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

/// What the campaign tests share: campaigns made and scheduled through the API, claims that
/// read their awards, and the awards as the database holds them.
extension TestApp {
    /// A campaign made through the API from `json` (the definition without its window, which
    /// defaults to an hour ago until tomorrow), then scheduled, so it is live. Returns its id.
    @discardableResult
    func liveCampaign(_ json: String, schedule: Bool = true) async throws -> Int64 {
        let response = try await write(.post, "/api/v1/campaigns", as: .campaigns, json: Self.withWindow(json))
        try #require(response.status == .created, "\(String(buffer: response.body))")
        let id = try decode(CampaignID.self, response).id
        if schedule {
            let scheduled = try await request(.post, "/api/v1/campaigns/\(id)/schedule", as: .campaigns)
            try #require(scheduled.status == .ok, "\(String(buffer: scheduled.body))")
        }
        return id
    }

    /// SQL for the timestamptz `column` one day (24 hours) earlier: see `earlier(_:by:)`.
    static func dayEarlier(_ column: String) -> String { earlier(column, by: "1 day") }

    /// SQL for the timestamptz `column` `interval` earlier (`40 days`), in immutable steps, days
    /// counted in UTC: Citus refuses `column - interval '40 days'` (a stable operator on a column)
    /// in an UPDATE of its tables.
    static func earlier(_ column: String, by interval: String) -> String {
        "(\(column) AT TIME ZONE 'UTC' - interval '\(interval)') AT TIME ZONE 'UTC'"
    }

    /// SQL for the timestamptz `value` later by the interval expression `interval`, in the same
    /// immutable steps as `earlier(_:by:)`.
    static func later(_ value: String, by interval: String) -> String {
        "(\(value) AT TIME ZONE 'UTC' + \(interval)) AT TIME ZONE 'UTC'"
    }

    /// `json` with `starts_at` an hour ago and `ends_at` a day ahead, unless it has its own,
    /// and the time zone Asia/Shanghai.
    static func withWindow(_ json: String) -> String {
        var fields: [String] = []
        if !json.contains("\"starts_at\"") { fields.append(#""starts_at": "\#(RFC3339.string(from: Date().addingTimeInterval(-3600)))""#) }
        if !json.contains("\"ends_at\"") { fields.append(#""ends_at": "\#(RFC3339.string(from: Date().addingTimeInterval(86400)))""#) }
        if !json.contains("\"time_zone\"") { fields.append(#""time_zone": "Asia/Shanghai""#) }
        let body = json.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst()
        return "{" + fields.joined(separator: ", ") + (fields.isEmpty ? "" : ", ") + body
    }

    /// Claims sequence `sequence` of `batch` through the claims API for `externalID`; the answer.
    func campaignClaim(_ batch: Batch, _ sequence: Int64, externalID: String = "member-1", phone: String? = nil, key: String? = nil)
        async throws -> CampaignClaimAnswer
    {
        let body = ClaimAPITests.ClaimBody(
            code: code(batch, sequence).text, channel: "wechat_unionid", externalID: externalID, phone: phone)
        let response = try await ClaimAPITests.claim(self, body, key: key ?? UUID().uuidString)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try decode(CampaignClaimAnswer.self, response)
    }

    /// The outcomes of campaign `id`'s awards, in the order they were made.
    func awardOutcomes(_ campaign: Int64) async throws -> [String] {
        let rows = try await database.query(
            "SELECT outcome FROM campaign_awards WHERE campaign_id = \(campaign) ORDER BY id", logger: TestDatabase.logger)
        var outcomes: [String] = []
        for try await outcome in rows.decode(String.self) { outcomes.append(outcome) }
        return outcomes
    }
}

struct CampaignID: Decodable {
    let id: Int64
}

/// The claim API's 201 body, with its awards.
struct CampaignClaimAnswer: Decodable, Sendable {
    struct Award: Decodable, Sendable, Equatable {
        struct Names: Decodable, Sendable, Equatable {
            let zh: String
            let en: String
        }
        struct Prize: Decodable, Sendable, Equatable {
            let key: String
            let name: Names
        }
        struct Reward: Decodable, Sendable, Equatable {
            let sku: String
            let name: String
        }
        let campaignId: Int64
        let version: Int
        let name: Names
        let effect: String
        let points: Int64
        let prize: Prize?
        let reward: Reward?
        let voucher: String?
        let redemptionId: UUID?
    }
    let memberId: UUID
    let points: Int
    let balance: Int64
    let awards: [Award]

    /// The awards' points by campaign.
    var pointsByCampaign: [Int64: Int64] {
        awards.reduce(into: [:]) { $0[$1.campaignId, default: 0] += $1.points }
    }
}
