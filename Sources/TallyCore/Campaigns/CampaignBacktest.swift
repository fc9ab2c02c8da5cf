/// What a campaign's current version would have done to the claims of the last `days` days
/// had it alone been live then (db/functions/backtest_campaign.sql says how, and what history
/// cannot tell).
public struct CampaignBacktest: Sendable, Codable, Equatable {
    public struct Prize: Sendable, Codable, Equatable {
        public var key: String
        public var awarded: Int64
        /// Its stock at the start (the campaign's budget total); nil: unlimited.
        public var stock: Int64?
        /// Its stock left at the end; nil: unlimited.
        public var left: Int64?
    }

    public struct Day: Sendable, Codable, Equatable {
        /// `YYYY-MM-DD` in the campaign's time zone.
        public var day: String
        /// Claims replayed that day.
        public var claims: Int64
        public var matched: Int64
        public var awards: Int64
        public var points: Int64
        /// Distinct members awarded that day.
        public var membersReached: Int64
        /// Left at the day's end; nil: no such budget.
        public var pointsBudgetLeft: Int64?
        public var awardsBudgetLeft: Int64?
    }

    public var campaignId: Int64
    public var version: Int32
    public var days: Int
    /// The first and the last local day replayed.
    public var from: String
    public var to: String
    public var claimsReplayed: Int64
    public var matched: Int64
    public var awards: Int64
    public var points: Int64
    /// Distinct members awarded over the whole backtest.
    public var membersReached: Int64
    /// The local day an award was first refused for a total budget or a prize's stock; nil: never.
    public var budgetRunsOutOn: String?
    public var prizes: [Prize]
    public var perDay: [Day]
}
