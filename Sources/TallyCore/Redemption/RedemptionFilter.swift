import Foundation

/// Which redemptions a list of all members' redemptions shows (the console's); nil: any.
public struct RedemptionFilter: Sendable, Equatable {
    /// The reward's SKU.
    public var reward: String?
    /// `issued` or `cancelled`.
    public var status: String?
    /// The member (a merged member's redemptions are its survivor's).
    public var member: UUID?
    /// Redeemed at or after.
    public var from: Date?
    /// Redeemed before.
    public var to: Date?

    public init(reward: String? = nil, status: String? = nil, member: UUID? = nil, from: Date? = nil, to: Date? = nil) {
        self.reward = reward
        self.status = status
        self.member = member
        self.from = from
        self.to = to
    }
}
