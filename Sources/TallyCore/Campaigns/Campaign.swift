import Foundation

/// A campaign as the API shows it: its current version's definition, its status, what is left
/// of its budgets and prizes, and what it publishes of its draw's secret.
public struct Campaign: Sendable, Codable, Equatable {
    public var id: Int64
    public var version: Int
    public var status: CampaignStatus
    public var name: CampaignName
    public var startsAt: Date
    public var endsAt: Date
    public var timeZone: String
    public var priority: Int
    public var exclusive: Bool
    public var conditions: CampaignConditions
    public var effect: CampaignEffect
    public var budget: CampaignBudget
    public var limits: CampaignLimits
    /// Left out while the campaign is a draft.
    public var draw: CampaignDraw?
    /// When it ended: by hand, or at its window's end by the programme jobs (left out before).
    public var endedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
}
