import Foundation
import Synchronization
import TallyCore

/// The consumer pages' words, in Simplified Chinese and English.
struct PageStrings: Sendable {
    let htmlLang: String
    let switchLabel: String
    let switchTo: String
    let genuineTitle: String
    let genuineBody: String
    let claimButton: String
    let shareLocation: String
    let signInTitle: String
    let phoneLabel: String
    let phonePlaceholder: String
    let sendCode: String
    let codeTitle: String
    let codeSentTo: String
    let codeLabel: String
    let verifyButton: String
    let resend: String
    let yoursTitle: String
    let yoursBody: String
    let otherTitle: String
    let otherBody: String
    let claimedSignedOutBody: String
    let support: String
    let notActiveTitle: String
    let notActiveBody: String
    let voidedTitle: String
    let voidedBody: String
    let expiredTitle: String
    let expiredBody: String
    let forgedTitle: String
    let forgedBody: String
    let typoTitle: String
    let typoBody: String
    let manualTitle: String
    let manualBody: String
    let manualLabel: String
    let checkButton: String
    let claimedTitle: String
    let earned: String
    let balance: String
    let dailyCapTitle: String
    let dailyCapBody: String
    let unavailableTitle: String
    let unavailableBody: String
    let signedInAs: String
    let signOut: String
    let lot: String
    let produced: String
    let points: String
    let code: String
    let wrongCode: String
    let codeExpired: String
    let tooManyAttempts: String
    let sessionExpired: String
    let badPhone: String
    let sendFailed: String
    let crossSiteTitle: String
    let crossSiteBody: String
    /// A campaign's points: the campaign's name, the points.
    let awardPoints: String
    /// A draw's prize in points: the campaign, the prize, the points.
    let awardPrizePoints: String
    /// A voucher won: the campaign, what was won, the voucher's code.
    let awardVoucher: String

    static let zh = PageStrings(
        htmlLang: "zh-Hans", switchLabel: "English", switchTo: "en",
        genuineTitle: "正品验证通过", genuineBody: "这是品牌正品。领取本件商品的积分吧。",
        claimButton: "领取积分", shareLocation: "同时分享我的位置（可选）",
        signInTitle: "输入手机号领取积分", phoneLabel: "手机号", phonePlaceholder: "138 0000 0000", sendCode: "获取验证码",
        codeTitle: "输入验证码", codeSentTo: "验证码已发送至 %@，5 分钟内有效。", codeLabel: "6 位验证码",
        verifyButton: "登录", resend: "重新获取",
        yoursTitle: "您已领取过本件积分", yoursBody: "本码已于 %@ 计入您的账户。",
        otherTitle: "此码已被领取", otherBody: "此码已于 %@ 被他人领取。若您刚拆开包装，商品可能存在问题，请联系品牌客服。",
        claimedSignedOutBody: "此码已于 %@ 被领取。如是您本人领取，请登录查看；如不是，商品可能存在问题，请联系品牌客服。",
        support: "品牌客服",
        notActiveTitle: "此码尚未激活", notActiveBody: "这是品牌正品码，但尚未开放领取。请稍后再试。",
        voidedTitle: "此码已作废", voidedBody: "此码已被品牌作废，不能领取积分。如有疑问请联系品牌客服。",
        expiredTitle: "此码已过期", expiredBody: "本批次商品的积分领取期已结束。",
        forgedTitle: "无法验证此码", forgedBody: "此码不是品牌发放的正品码，可能是仿冒商品。请勿领取，并联系品牌客服。",
        typoTitle: "码似乎有误", typoBody: "请核对后重新输入：码共 18 位，由数字和字母组成。",
        manualTitle: "手动输入防伪码", manualBody: "二维码损坏时，可输入包装上印的 18 位码。",
        manualLabel: "防伪码", checkButton: "验证",
        claimedTitle: "领取成功", earned: "本次获得 %@ 积分", balance: "当前积分余额：%@",
        dailyCapTitle: "今日领取已达上限", dailyCapBody: "每位会员每天最多领取 %@ 次，请明天再来。",
        unavailableTitle: "服务暂时不可用", unavailableBody: "请稍后再试。",
        signedInAs: "已登录", signOut: "退出",
        lot: "批号", produced: "生产日期", points: "每件积分", code: "防伪码",
        wrongCode: "验证码不正确，还可尝试 %@ 次。", codeExpired: "验证码已失效，请重新获取。",
        tooManyAttempts: "尝试次数过多，请重新获取验证码。", sessionExpired: "页面已过期，请重试。",
        badPhone: "请输入有效的手机号。", sendFailed: "验证码发送失败，请重试。",
        crossSiteTitle: "无法确认请求来源",
        crossSiteBody: "此表单不是从本站页面提交的，因此未做任何操作。请重新打开本站页面后再试。",
        awardPoints: "%@：额外获得 %@ 积分", awardPrizePoints: "%@：抽中%@，获得 %@ 积分",
        awardVoucher: "%@：恭喜获得%@，兑换码 %@"
    )

    static let en = PageStrings(
        htmlLang: "en", switchLabel: "中文", switchTo: "zh",
        genuineTitle: "Genuine product", genuineBody: "This is a genuine product. Claim its points.",
        claimButton: "Claim points", shareLocation: "Also share my location (optional)",
        signInTitle: "Enter your mobile number to claim", phoneLabel: "Mobile number", phonePlaceholder: "+86 138 0000 0000",
        sendCode: "Send code",
        codeTitle: "Enter the code", codeSentTo: "We sent a code to %@. It is valid for 5 minutes.", codeLabel: "6-digit code",
        verifyButton: "Sign in", resend: "Send a new code",
        yoursTitle: "You have claimed this one", yoursBody: "Its points went to your account on %@.",
        otherTitle: "Already claimed",
        otherBody:
            "This code was claimed by someone else on %@. If you just opened the package, it may not be genuine: please contact the brand.",
        claimedSignedOutBody:
            "This code was claimed on %@. If it was you, sign in to see it; if not, the product may not be genuine: please contact the brand.",
        support: "Customer service",
        notActiveTitle: "Not active yet", notActiveBody: "This is a genuine code, but it cannot be claimed yet. Please try again later.",
        voidedTitle: "Code withdrawn",
        voidedBody: "The brand has withdrawn this code; it earns no points. Please contact the brand if in doubt.",
        expiredTitle: "Code expired", expiredBody: "The time to claim points for this batch has ended.",
        forgedTitle: "This code cannot be verified",
        forgedBody: "This code was not issued by the brand: the product may be counterfeit. Do not claim it; please contact the brand.",
        typoTitle: "That code looks mistyped", typoBody: "Please check it and type it again: 18 letters and digits.",
        manualTitle: "Enter a code by hand", manualBody: "If the QR code is damaged, type the 18-character code printed on the package.",
        manualLabel: "Code", checkButton: "Check",
        claimedTitle: "Points claimed", earned: "You earned %@ points", balance: "Your balance: %@ points",
        dailyCapTitle: "Daily limit reached", dailyCapBody: "Each member can claim %@ codes a day. Please come back tomorrow.",
        unavailableTitle: "Temporarily unavailable", unavailableBody: "Please try again in a moment.",
        signedInAs: "You are signed in", signOut: "Sign out",
        lot: "Lot", produced: "Produced", points: "Points", code: "Code",
        wrongCode: "That code is not right. %@ tries left.", codeExpired: "That code has expired. Please ask for a new one.",
        tooManyAttempts: "Too many tries. Please ask for a new code.", sessionExpired: "This page expired. Please try again.",
        badPhone: "Please enter a valid mobile number.", sendFailed: "The code could not be sent. Please try again.",
        crossSiteTitle: "This form came from another site",
        crossSiteBody: "It was not sent from one of our pages, so nothing was done. Please open the page again and retry.",
        awardPoints: "%@: +%@ bonus points", awardPrizePoints: "%@: you won %@, +%@ points",
        awardVoucher: "%@: you won %@, voucher %@"
    )

    /// The `%@`s in `template` replaced by `values`, in order.
    func format(_ template: String, _ values: String...) -> String {
        var text = ""
        var rest = Substring(template)
        for value in values {
            guard let mark = rest.range(of: "%@") else { break }
            text += rest[..<mark.lowerBound] + value
            rest = rest[mark.upperBound...]
        }
        return text + rest
    }

    /// What a claim won from a campaign, in this language.
    func award(_ award: ClaimAward) -> String {
        let campaign = htmlLang == "en" ? award.name.en : award.name.zh
        let prize = award.prize.map { htmlLang == "en" ? $0.name.en : $0.name.zh }
        if let voucher = award.voucher {
            return format(awardVoucher, campaign, prize ?? award.reward?.name ?? "", voucher)
        }
        if let prize {
            return format(awardPrizePoints, campaign, prize, String(award.points))
        }
        return format(awardPoints, campaign, String(award.points))
    }

    /// A date as people read it in this language, in the brand's time zone.
    func date(_ date: Date, timeZone: String) -> String {
        Self.dateFormatters.withLock { formatters in
            let key = htmlLang + " " + timeZone
            if let formatter = formatters[key] { return formatter.string(from: date) }
            let formatter = DateFormatter()
            formatter.timeZone = TimeZone(identifier: timeZone)
            formatter.locale = Locale(identifier: htmlLang == "en" ? "en_GB" : "zh_Hans_CN")
            formatter.dateFormat = htmlLang == "en" ? "d\u{00A0}MMM\u{00A0}yyyy, HH:mm" : "yyyy年M月d日 HH:mm"
            formatters[key] = formatter
            return formatter.string(from: date)
        }
    }

    /// One formatter per language and time zone, made once (making one costs far more than
    /// using it) and used under a lock (a formatter is not safe to share between threads).
    private static let dateFormatters = Mutex<[String: DateFormatter]>([:])

    /// The language for a request: `?lang=` first, then the `tally_lang` cookie, then
    /// Accept-Language; Chinese unless English is preferred.
    static func choose(query: String?, cookie: String?, acceptLanguage: String?) -> PageStrings {
        for choice in [query, cookie].compactMap({ $0 }) {
            if choice == "en" { return .en }
            if choice == "zh" { return .zh }
        }
        for range in (acceptLanguage ?? "").lowercased().split(separator: ",") {
            let tag = range.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? ""
            if tag.hasPrefix("zh") { return .zh }
            if tag.hasPrefix("en") { return .en }
        }
        return .zh
    }
}
