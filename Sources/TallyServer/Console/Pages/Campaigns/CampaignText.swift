import Foundation
import TallyCore

/// How the campaign pages word a campaign: its status, name, window and effect, in both languages.
enum CampaignText {
    static func status(_ status: CampaignStatus, _ lang: ConsoleLanguage) -> String {
        switch status {
        case .draft: lang("草稿", "Draft")
        case .scheduled: lang("已排期", "Scheduled")
        case .live: lang("进行中", "Live")
        case .paused: lang("已暂停", "Paused")
        case .ended: lang("已结束", "Ended")
        }
    }

    static func badge(_ status: CampaignStatus, _ lang: ConsoleLanguage) -> HTML {
        let kind =
            switch status {
            case .live: "badge good"
            case .paused: "badge warn"
            case .ended: "badge bad"
            case .draft, .scheduled: "badge"
            }
        return "<span class=\"\(kind)\">\(Self.status(status, lang))</span>"
    }

    static func name(_ name: CampaignName, _ lang: ConsoleLanguage) -> String {
        (lang == .zh ? name.zh ?? name.en : name.en ?? name.zh) ?? ""
    }

    /// The window in the campaign's own time zone: "2027-01-28 00:00 – 2027-02-05 00:00 (Asia/Shanghai)".
    static func window(_ campaign: Campaign) -> String {
        let zone = TimeZone(identifier: campaign.timeZone) ?? .gmt
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return "\(formatter.string(from: campaign.startsAt)) – \(formatter.string(from: campaign.endsAt)) (\(campaign.timeZone))"
    }

    static func effect(_ effect: CampaignEffect, _ lang: ConsoleLanguage) -> String {
        switch effect.type {
        case "bonus": return lang("奖励 \(effect.points ?? 0) 积分", "+\(effect.points ?? 0) points")
        case "multiplier":
            let factor = CampaignFormValues.decimal(effect.factor ?? 1, places: 2)
            return lang("积分 × \(factor)", "points × \(factor)")
        case "voucher": return lang("礼品券 \(effect.reward ?? "")", "voucher \(effect.reward ?? "")")
        case "draw":
            let prizes = effect.prizes ?? []
            return lang("抽奖（\(prizes.count) 种奖品）", "draw (\(prizes.count) prizes)")
        default: return effect.type ?? ""
        }
    }

    /// A figure that may be unlimited.
    static func limit(_ value: Int64?, _ lang: ConsoleLanguage) -> String {
        value.map(ConsoleFormat.number) ?? lang("不限", "unlimited")
    }
}
