import Foundation

/// One version of a campaign's definition, as it was made: versions never change, and each
/// award names the version it was made under.
public struct CampaignVersion: Sendable, Codable, Equatable {
    public var version: Int
    public var name: CampaignName
    public var startsAt: Date
    public var endsAt: Date
    public var timeZone: String
    public var priority: Int
    public var exclusive: Bool
    public var conditions: CampaignConditions
    public var effect: CampaignEffect
    /// The budgets' totals as this version set them (what is left is the campaign's).
    public var budget: CampaignBudget
    public var limits: CampaignLimits
    /// The API key's actor that made it (`key:<prefix>`).
    public var createdBy: String
    public var createdAt: Date
}
