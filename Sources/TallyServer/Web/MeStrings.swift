import TallyCore

/// The /me page's words, in Simplified Chinese and English, in the language `PageStrings`
/// chose for the visit.
struct MeStrings: Sendable {
    let title: String
    let accountLink: String
    let signInPrompt: String
    let balance: String
    let expiringSoon: String
    let catalogue: String
    let cost: String
    let left: String
    let redeemButton: String
    let notEnoughPoints: String
    let soldOut: String
    let noRewards: String
    let redemptions: String
    let cancelled: String
    let history: String
    let noHistory: String
    let kinds: [String: String]
    let redeemedTitle: String
    let redeemedBody: String
    let voucher: String
    let spent: String
    let back: String
    let refusals: [RedemptionRefusal: (title: String, body: String)]

    static func choose(_ strings: PageStrings) -> MeStrings {
        strings.htmlLang == "en" ? .en : .zh
    }

    /// The heading and words for a refused redemption.
    func refusal(_ refusal: RedemptionRefusal) -> (title: String, body: String) {
        refusals[refusal] ?? (back, back)
    }

    /// What a ledger entry of `kind` is called.
    func kind(_ kind: String) -> String {
        kinds[kind] ?? kind
    }

    static let zh = MeStrings(
        title: "我的积分", accountLink: "我的积分", signInPrompt: "登录后查看积分、兑换礼品。",
        balance: "积分余额", expiringSoon: "%@ 积分将在 30 天内过期，请尽快使用。",
        catalogue: "积分兑换", cost: "%@ 积分", left: "剩余 %@ 件", redeemButton: "兑换",
        notEnoughPoints: "积分不足", soldOut: "已兑完", noRewards: "暂无可兑换的礼品。",
        redemptions: "我的兑换", cancelled: "已取消", history: "积分记录", noHistory: "暂无积分记录。",
        kinds: [
            "claim": "扫码领取", "campaign": "活动奖励", "redemption": "兑换礼品", "redemption_cancel": "兑换取消，积分退回",
            "adjustment": "积分调整", "expiry": "积分过期", "merge_in": "账户合并转入", "merge_out": "账户合并转出",
        ],
        redeemedTitle: "兑换成功", redeemedBody: "凭兑换码领取「%@」，请妥善保存。", voucher: "兑换码",
        spent: "使用 %@ 积分", back: "返回我的积分",
        refusals: [
            .insufficientPoints: ("积分不足", "您的积分不足以兑换此礼品。"),
            .outOfStock: ("礼品已兑完", "此礼品已兑完，请选择其他礼品。"),
            .limitReached: ("已达兑换上限", "每位会员可兑换此礼品的数量有限，您已达到上限。"),
            .inactive: ("不在兑换期内", "此礼品当前不可兑换。"),
            .wrongChannel: ("此处不可兑换", "此礼品不能在此页面兑换。"),
            .unknownReward: ("礼品不存在", "找不到此礼品，请返回重新选择。"),
        ]
    )

    static let en = MeStrings(
        title: "My points", accountLink: "My points", signInPrompt: "Sign in to see your points and redeem rewards.",
        balance: "Points balance", expiringSoon: "%@ points expire within 30 days: use them soon.",
        catalogue: "Rewards", cost: "%@ points", left: "%@ left", redeemButton: "Redeem",
        notEnoughPoints: "Not enough points", soldOut: "Sold out", noRewards: "No rewards to redeem right now.",
        redemptions: "My rewards", cancelled: "Cancelled", history: "Points history", noHistory: "No points yet.",
        kinds: [
            "claim": "Code scanned", "campaign": "Campaign bonus", "redemption": "Reward redeemed",
            "redemption_cancel": "Redemption cancelled, points returned",
            "adjustment": "Adjustment", "expiry": "Points expired", "merge_in": "Accounts merged", "merge_out": "Moved to merged account",
        ],
        redeemedTitle: "Redeemed", redeemedBody: "Collect “%@” with this voucher code. Please keep it safe.", voucher: "Voucher",
        spent: "%@ points used", back: "Back to my points",
        refusals: [
            .insufficientPoints: ("Not enough points", "You do not have enough points for this reward."),
            .outOfStock: ("Sold out", "This reward has run out. Please choose another."),
            .limitReached: ("Limit reached", "Each member may redeem only so many of this reward, and you have reached the limit."),
            .inactive: ("Not available now", "This reward cannot be redeemed at the moment."),
            .wrongChannel: ("Not available here", "This reward cannot be redeemed on this page."),
            .unknownReward: ("Reward not found", "We could not find this reward. Please go back and choose again."),
        ]
    )
}
