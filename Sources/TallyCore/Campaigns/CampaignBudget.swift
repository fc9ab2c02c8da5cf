/// A campaign's budgets, as the API reads and shows them. Each figure left out is unlimited.
/// `points_left` and `awards_left` are shown, never read.
public struct CampaignBudget: Sendable, Codable, Equatable {
    /// Points the campaign may award in all.
    public var points: Int64?
    /// Awards the campaign may make in all.
    public var awards: Int64?
    public var memberPointsPerDay: Int64?
    public var memberPointsPerWeek: Int64?
    /// Points one member may get from the campaign in all.
    public var memberPoints: Int64?
    /// `stop` (the campaign steps aside) or `base_only` (the claim earns its base points only).
    public var whenExhausted: String?
    public var pointsLeft: Int64?
    public var awardsLeft: Int64?

    public init() {}
}
