/// A campaign's figures per local day (the time zone of its current version): what the claim
/// path wrote to `campaign_awards`, and the budgets left at each day's end.
public struct CampaignReport: Sendable, Codable, Equatable {
    /// Matches refused an award, by outcome.
    public struct Refused: Sendable, Codable, Equatable {
        public var noPrize: Int64 = 0
        public var outOfStock: Int64 = 0
        public var budgetExhausted: Int64 = 0
        public var limitReached: Int64 = 0

        public init() {}

        static func + (a: Self, b: Self) -> Self {
            var sum = Refused()
            sum.noPrize = a.noPrize + b.noPrize
            sum.outOfStock = a.outOfStock + b.outOfStock
            sum.budgetExhausted = a.budgetExhausted + b.budgetExhausted
            sum.limitReached = a.limitReached + b.limitReached
            return sum
        }
    }

    /// A prize's units left at the day's end (nil: the prize has no stock budget).
    public struct PrizeLeft: Sendable, Codable, Equatable {
        public var key: String
        public var left: Int64?
    }

    public struct Day: Sendable, Codable, Equatable {
        /// `YYYY-MM-DD` in the campaign's time zone.
        public var day: String
        /// Claims the campaign matched (one `campaign_awards` row each), awarded or not.
        public var matched: Int64
        public var awards: Int64
        public var points: Int64
        /// Awards that were vouchers (a redemption at no cost).
        public var vouchers: Int64
        /// Distinct members awarded that day.
        public var membersReached: Int64
        public var refused: Refused
        /// Left at the day's end; nil: no such budget.
        public var pointsBudgetLeft: Int64?
        public var awardsBudgetLeft: Int64?
        public var prizesLeft: [PrizeLeft]
    }

    public struct Totals: Sendable, Codable, Equatable {
        public var matched: Int64
        public var awards: Int64
        public var points: Int64
        public var vouchers: Int64
        /// Distinct members awarded over the whole range (not the sum of the days').
        public var membersReached: Int64
        public var refused: Refused
    }

    public var campaignId: Int64
    public var version: Int32
    public var timeZone: String
    public var from: String
    public var to: String
    public var days: [Day]
    public var totals: Totals
}
