import Foundation
import TallyCore

/// The /me page's part of `ConsumerPage`: balance, points expiring soon, the catalogue with a
/// redeem form per reward, the member's vouchers and recent points history.
struct AccountView {
    struct RewardItem {
        var name: String
        var details: String?
        var imageURL: String?
        var cost: String
        var stockLeft: String?
        var redeemForm: RedeemForm?
        var unavailable: String?
    }
    struct RedeemForm {
        var csrf: String
        var sku: String
        /// A one-time token: the form's Idempotency-Key, so a double tap or a reload redeems once.
        var nonce: String
        var label: String
    }
    struct RedemptionItem {
        var name: String
        var voucher: String
        var date: String
        var cancelledLabel: String?
    }
    struct HistoryItem {
        var label: String
        var date: String
        var points: String
        /// plus or minus: the colour of the points.
        var sign: String
    }

    var t: MeStrings
    var balance: String
    var expiring: String?
    var rewards: [RewardItem]
    var redemptions: [RedemptionItem]
    var hasRedemptions: Bool
    var history: [HistoryItem]

    init(
        account: MemberAccount, rewards: [Reward], redemptions: [Redemption], csrf: String,
        strings s: PageStrings, timeZone: String
    ) {
        let t = MeStrings.choose(s)
        self.t = t
        balance = String(account.balance)
        expiring = account.expiringSoon > 0 ? s.format(t.expiringSoon, String(account.expiringSoon)) : nil
        self.rewards = rewards.map { reward in
            let soldOut = reward.stock == 0
            let affordable = reward.costPoints <= account.balance
            return RewardItem(
                name: reward.name, details: reward.description.isEmpty ? nil : reward.description, imageURL: reward.imageURL,
                cost: s.format(t.cost, String(reward.costPoints)),
                stockLeft: reward.stock.flatMap { $0 > 0 ? s.format(t.left, String($0)) : nil },
                redeemForm: soldOut || !affordable
                    ? nil
                    : RedeemForm(
                        csrf: csrf, sku: reward.sku, nonce: SessionSigner.newCSRFToken(), label: t.redeemButton
                    ),
                unavailable: soldOut ? t.soldOut : affordable ? nil : t.notEnoughPoints
            )
        }
        self.redemptions = redemptions.map { redemption in
            RedemptionItem(
                name: redemption.quantity == 1 ? redemption.rewardName : "\(redemption.rewardName) × \(redemption.quantity)",
                voucher: redemption.voucher, date: s.date(redemption.createdAt, timeZone: timeZone),
                cancelledLabel: redemption.status == "cancelled" ? t.cancelled : nil
            )
        }
        hasRedemptions = !redemptions.isEmpty
        history = account.recent.map { entry in
            HistoryItem(
                label: t.kind(entry.kind), date: s.date(entry.createdAt, timeZone: timeZone),
                points: entry.points > 0 ? "+\(entry.points)" : String(entry.points), sign: entry.points > 0 ? "plus" : "minus"
            )
        }
    }
}

/// The answer to a redemption on /me: the voucher to collect the reward with.
struct RedeemedView {
    var voucherLabel: String
    var voucher: String
    var spent: String
    var balanceAfter: String
}

/// A link in the state card, e.g. back to /me.
struct BackLink {
    var href: String
    var label: String
}
