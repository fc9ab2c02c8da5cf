import Foundation

/// One row of a campaign's change log: who did what, when, and the campaign before and after,
/// as the API showed it then (`before` is left out for its creation).
public struct CampaignChange: Sendable, Codable, Equatable {
    public var id: Int64
    public var action: CampaignAction
    /// The campaign's version after the change.
    public var version: Int
    /// The API key's actor (`key:<prefix>`).
    public var actor: String
    public var changedAt: Date
    public var before: Campaign?
    public var after: Campaign
}

/// What a change did.
public enum CampaignAction: String, Sendable, Codable {
    case created, updated, scheduled, paused, resumed, ended
}
