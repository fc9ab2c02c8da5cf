import Foundation

/// What the console's dashboard shows for a period, read from the rollups only
/// (db/migrations/0015_rollups.sql): a bounded number of rows per day, whatever the history.
/// Days are programme days in `timeZone`.
public struct DashboardReport: Sendable, Codable, Equatable {
    /// One day's figures.
    public struct Day: Sendable, Codable, Equatable {
        /// `YYYY-MM-DD`.
        public var day: String
        /// Scans of the landing page, genuine or not (a claim's own record is not one).
        public var scans: Int64
        /// Scans of a code whose signature checked out.
        public var genuineScans: Int64
        /// Scans of a forged code (or one under an unknown key).
        public var forgedScans: Int64
        public var claims: Int64
        /// Member records created.
        public var newMembers: Int64
        /// Credited by claims, campaigns and positive adjustments.
        public var pointsIssued: Int64
        /// Spent on rewards, less cancelled redemptions.
        public var pointsRedeemed: Int64
        public var pointsExpired: Int64
        /// Taken away by negative adjustments.
        public var pointsAdjustedOut: Int64
    }

    /// A period's totals.
    public struct Totals: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
        public var scans: Int64
        public var genuineScans: Int64
        public var forgedScans: Int64
        public var claims: Int64
        public var newMembers: Int64
        public var pointsIssued: Int64
        public var pointsRedeemed: Int64
        public var pointsExpired: Int64
        public var pointsAdjustedOut: Int64
        /// claims ÷ genuine scans; nil without genuine scans. API claims come with no landing-page
        /// scan, so it can exceed 1.
        public var scanToClaimRate: Double?
        /// The last finished day up to `to` whose repeat-claim figures are written (the programme
        /// jobs write each day once it has ended), if it falls within the period; nil otherwise.
        public var repeatClaimDay: String?
        /// Members with a claim in the 90 days ending `repeatClaimDay`.
        public var claimers90Days: Int64?
        /// Those of them with 2 or more claims in those 90 days.
        public var repeaters90Days: Int64?
        /// repeaters ÷ claimers; nil without claimers.
        public var repeatClaimRate: Double?
        /// Points outstanding (the sum of every member's balance) at the end of `to`.
        public var liability: Int64
    }

    /// A product or channel in a top list.
    public struct Ranked: Sendable, Codable, Equatable {
        /// The product's SKU, or the channel's name.
        public var key: String
        /// The product's name; the channel's name again for a channel.
        public var name: String
        public var claims: Int64
        public var points: Int64
    }

    public var timeZone: String
    public var period: DashboardPeriod
    /// Every day of the period, in order (days without activity are zeros).
    public var days: [Day]
    /// Every day of the previous period, in order.
    public var previousDays: [Day]
    public var current: Totals
    public var previous: Totals
    /// Products by claims in the period, most first (SKU breaks ties).
    public var topProducts: [Ranked]
    /// Channels by claims in the period, most first.
    public var topChannels: [Ranked]
    /// Points outstanding now.
    public var liability: Int64
}
