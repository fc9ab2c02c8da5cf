/// What a claim must match for a campaign to apply, as the API reads and shows it. Every
/// condition left out holds for every claim; all that are given must hold.
public struct CampaignConditions: Sendable, Codable, Equatable {
    /// Local hours `[from, to)` in the campaign's time zone; `from > to` runs over midnight.
    public struct Hours: Sendable, Codable, Equatable {
        public var from: Int?
        public var to: Int?

        public init(from: Int?, to: Int?) {
            self.from = from
            self.to = to
        }
    }

    /// The member's nth claim (`every`: every nth), counted over all their claims (`overall`)
    /// or over those since the campaign's start (`campaign`).
    public struct NthClaim: Sendable, Codable, Equatable {
        public var n: Int?
        public var every: Bool?
        public var within: String?

        public init(n: Int?, every: Bool? = nil, within: String? = nil) {
            self.n = n
            self.every = every
            self.within = within
        }
    }

    /// Products by SKU.
    public var skus: [String]?
    /// Batches by id.
    public var batches: [Int64]?
    /// The batch's region.
    public var regions: [String]?
    /// The claim's channel.
    public var channels: [String]?
    /// ISO weekdays, 1 = Monday, in the campaign's time zone.
    public var weekdays: [Int]?
    public var hours: Hours?
    public var tiers: [String]?
    /// `new`, `returning` or `lapsed` (with `lapsed_days`).
    public var segment: String?
    public var lapsedDays: Int?
    public var nthClaim: NthClaim?
    /// Only the member's first claim of this product (shown only when set).
    public var firstClaimOfProduct: Bool?
    /// At most this many awards from the campaign per member.
    public var awardsPerMember: Int?

    public init() {}
}
