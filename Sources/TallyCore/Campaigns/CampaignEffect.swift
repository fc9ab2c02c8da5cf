/// What a campaign awards, as the API reads and shows it: `bonus` (`points`), `multiplier`
/// (`factor` times the base points; the award is the extra), `voucher` (a `reward` at no cost)
/// or `draw` (an instant-win draw from `prizes`).
public struct CampaignEffect: Sendable, Codable, Equatable {
    public var type: String?
    public var points: Int64?
    public var factor: Double?
    public var reward: String?
    public var prizes: [CampaignPrize]?

    public init(type: String?, points: Int64? = nil, factor: Double? = nil, reward: String? = nil, prizes: [CampaignPrize]? = nil) {
        self.type = type
        self.points = points
        self.factor = factor
        self.reward = reward
        self.prizes = prizes
    }
}
