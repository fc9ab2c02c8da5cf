/// One prize of an instant-win draw: points or a reward (by SKU), its probability (a decimal
/// with at most 6 places) and its stock. `left` is shown, never read: the stock not yet won.
public struct CampaignPrize: Sendable, Codable, Equatable {
    public var key: String?
    public var name: CampaignName?
    public var points: Int64?
    public var reward: String?
    public var probability: Double?
    public var stock: Int64?
    public var left: Int64?

    public init(
        key: String?, name: CampaignName?, points: Int64? = nil, reward: String? = nil, probability: Double?, stock: Int64?,
        left: Int64? = nil
    ) {
        self.key = key
        self.name = name
        self.points = points
        self.reward = reward
        self.probability = probability
        self.stock = stock
        self.left = left
    }
}
