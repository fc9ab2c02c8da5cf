import Foundation

/// A redemption of a reward by a member, with the voucher they collect it with.
public struct Redemption: Sendable, Equatable, Codable {
    public var id: UUID
    /// The member who holds it (after a merge, the survivor).
    public var memberId: UUID
    /// The reward's SKU.
    public var reward: String
    public var rewardName: String
    public var quantity: Int
    /// Points debited for it (cost × quantity at the time).
    public var points: Int64
    public var voucher: String
    /// `issued` or `cancelled`.
    public var status: String
    /// Where it was redeemed: `web` (the /me page), `api`, or the channel a client named.
    public var channel: String
    public var createdAt: Date
    public var cancelledAt: Date?
    /// Until when it may still be cancelled (issued redemptions only).
    public var cancellableUntil: Date?
    /// The member's balance right after this redemption or its cancellation (only in the
    /// answer to that request).
    public var balance: Int64?
}

/// Why a redemption was refused, as `redeem_reward` says it (its `outcome`, the raw value).
public enum RedemptionRefusal: String, Sendable, CaseIterable {
    case unknownReward = "unknown_reward"
    case inactive
    case wrongChannel = "wrong_channel"
    case outOfStock = "out_of_stock"
    case limitReached = "limit_reached"
    case insufficientPoints = "insufficient_points"

    /// The code the API sends for it.
    public var code: ErrorCode {
        switch self {
        case .unknownReward: .unknownReward
        case .inactive: .inactive
        case .wrongChannel: .wrongChannel
        case .outOfStock: .outOfStock
        case .limitReached: .limitReached
        case .insufficientPoints: .insufficientPoints
        }
    }

    /// The refusal whose code is `code`, if any.
    public init?(code: ErrorCode) {
        guard let refusal = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = refusal
    }

    /// The refusal as an API error (422), with words for the client developer.
    public func error(sku: String, quantity: Int, channel: String, balance: Int64?) -> StoreError {
        let message =
            switch self {
            case .unknownReward: "no reward with sku \(sku)"
            case .inactive: "reward \(sku) cannot be redeemed now: it is outside its active window"
            case .wrongChannel: "reward \(sku) cannot be redeemed through channel \(channel)"
            case .outOfStock: "reward \(sku) has fewer than \(quantity) units left"
            case .limitReached: "this member may not hold \(quantity) more of reward \(sku): it has a per-member limit"
            case .insufficientPoints: "the member's balance (\(balance ?? 0) points) does not cover \(quantity) × \(sku)"
            }
        return StoreError(.invalid, code, message)
    }
}

/// What redeeming gave: the redemption, or the reason it was refused (nothing changed then).
public enum RedeemOutcome: Sendable, Equatable {
    case redeemed(Redemption)
    case refused(RedemptionRefusal, balance: Int64)
}

/// What cancelling gave. Only `.cancelled` changed anything.
public enum CancelOutcome: Sendable, Equatable {
    case cancelled(Redemption)
    case alreadyCancelled
    case windowClosed(Redemption)
}
