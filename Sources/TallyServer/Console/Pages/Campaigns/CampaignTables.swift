import Foundation
import TallyCore

/// The campaign pages' tables, each one definition shown on a page and exported as CSV.
enum CampaignTables {
    static func report(_ report: CampaignReport, lang: ConsoleLanguage) -> ConsoleTable {
        let prizes = report.days.first?.prizesLeft.map(\.key) ?? []
        let columns: [ConsoleTable.Column] =
            [
                .init(lang("日期", "Day")), .init(lang("匹配", "Matched"), numeric: true), .init(lang("获奖", "Awards"), numeric: true),
                .init(lang("积分", "Points"), numeric: true), .init(lang("礼品券", "Vouchers"), numeric: true),
                .init(lang("获奖会员", "Members reached"), numeric: true), .init(lang("未中奖", "No prize"), numeric: true),
                .init(lang("奖品缺货", "Out of stock"), numeric: true), .init(lang("预算用尽", "Budget exhausted"), numeric: true),
                .init(lang("达到限制", "Limit reached"), numeric: true), .init(lang("剩余积分预算", "Points budget left"), numeric: true),
                .init(lang("剩余获奖预算", "Awards budget left"), numeric: true),
            ] + prizes.map { ConsoleTable.Column(lang("剩余奖品 ", "Prize left: ") + $0, numeric: true) }
        let rows: [[ConsoleTable.Cell]] = report.days.map { day in
            [
                .init(day.day), .init(day.matched), .init(day.awards), .init(day.points), .init(day.vouchers), .init(day.membersReached),
                .init(day.refused.noPrize), .init(day.refused.outOfStock), .init(day.refused.budgetExhausted),
                .init(day.refused.limitReached), optional(day.pointsBudgetLeft, lang), optional(day.awardsBudgetLeft, lang),
            ] + day.prizesLeft.map { optional($0.left, lang) }
        }
        return ConsoleTable(
            caption: lang(
                "每日报表（\(report.from) 至 \(report.to)，\(report.timeZone)）",
                "Report per day (\(report.from) to \(report.to), \(report.timeZone))"),
            columns: columns, rows: rows, empty: lang("没有数据。", "No days."))
    }

    static func versions(_ versions: [CampaignVersion], lang: ConsoleLanguage) -> ConsoleTable {
        ConsoleTable(
            caption: lang("版本", "Versions"),
            columns: [
                .init(lang("版本", "Version"), numeric: true), .init(lang("创建时间", "Made at")), .init(lang("创建人", "Made by")),
                .init(lang("名称", "Name")), .init(lang("奖励", "Effect")), .init(lang("积分预算", "Points budget"), numeric: true),
                .init(lang("获奖预算", "Awards budget"), numeric: true), .init(lang("优先级", "Priority"), numeric: true),
            ],
            rows: versions.map { version in
                [
                    .init(version.version), .init(ConsoleFormat.time(version.createdAt, lang: lang)), .init(version.createdBy),
                    .init(CampaignText.name(version.name, lang)), .init(CampaignText.effect(version.effect, lang)),
                    optional(version.budget.points, lang), optional(version.budget.awards, lang), .init(version.priority),
                ]
            },
            empty: lang("没有版本。", "No versions."))
    }

    static func changes(_ changes: [CampaignChange], lang: ConsoleLanguage) -> ConsoleTable {
        ConsoleTable(
            caption: lang("变更记录", "Change log"),
            columns: [
                .init(lang("时间", "Time")), .init(lang("操作", "Action")), .init(lang("版本", "Version"), numeric: true),
                .init(lang("操作人", "Who")), .init(lang("改动的部分", "Parts changed")),
            ],
            rows: changes.map { change in
                [
                    .init(ConsoleFormat.time(change.changedAt, lang: lang)), .init(change.action.rawValue), .init(change.version),
                    .init(change.actor), .init(changedParts(change).joined(separator: ", ")),
                ]
            },
            empty: lang("没有变更。", "No changes."))
    }

    static func draws(_ draws: [CampaignDrawEntry], lang: ConsoleLanguage) -> ConsoleTable {
        ConsoleTable(
            caption: lang("抽奖记录", "Draws"),
            columns: [
                .init("ID", numeric: true), .init(lang("时间", "Time")), .init(lang("版本", "Version"), numeric: true),
                .init("kid", numeric: true), .init(lang("序列号", "Serial"), numeric: true), .init(lang("奖券号", "Ticket"), numeric: true),
                .init(lang("奖品", "Prize")), .init(lang("结果", "Outcome")),
            ],
            rows: draws.map { draw in
                [
                    .init(draw.id), .init(ConsoleFormat.time(draw.awardedAt, lang: lang)), .init(Int(draw.version)), .init(Int(draw.kid)),
                    .init(draw.serial), .init(Int(draw.ticket)), .init(draw.prize ?? ""), .init(draw.outcome),
                ]
            },
            empty: lang("还没有抽奖。", "No draws yet."))
    }

    static func backtest(_ backtest: CampaignBacktest, lang: ConsoleLanguage) -> ConsoleTable {
        ConsoleTable(
            caption: lang("回测：每日预计", "Backtest: projected per day"),
            columns: [
                .init(lang("日期", "Day")), .init(lang("领取", "Claims"), numeric: true), .init(lang("匹配", "Matched"), numeric: true),
                .init(lang("获奖", "Awards"), numeric: true), .init(lang("积分", "Points"), numeric: true),
                .init(lang("获奖会员", "Members reached"), numeric: true),
                .init(lang("剩余积分预算", "Points budget left"), numeric: true),
                .init(lang("剩余获奖预算", "Awards budget left"), numeric: true),
            ],
            rows: backtest.perDay.map { day in
                [
                    .init(day.day), .init(day.claims), .init(day.matched), .init(day.awards), .init(day.points), .init(day.membersReached),
                    optional(day.pointsBudgetLeft, lang), optional(day.awardsBudgetLeft, lang),
                ]
            },
            empty: lang("这段时间没有领取。", "No claims in these days."))
    }

    /// A figure that may be unlimited: empty in the CSV, "unlimited" on the page.
    static func optional(_ value: Int64?, _ lang: ConsoleLanguage) -> ConsoleTable.Cell {
        guard let value else { return .init("", html: "\(lang("不限", "unlimited"))") }
        return .init(value)
    }

    /// The top-level parts of the campaign that differ before and after a change (its status
    /// and version for a step), from the change log's own JSON.
    static func changedParts(_ change: CampaignChange) -> [String] {
        guard let before = change.before else { return [] }
        func fields(_ campaign: Campaign) -> [String: Data] {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .rfc3339
            guard let data = try? encoder.encode(campaign),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return [:] }
            return object.compactMapValues { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
        }
        let old = fields(before)
        let new = fields(change.after)
        return Set(old.keys).union(new.keys).filter { $0 != "updated_at" && old[$0] != new[$0] }.sorted()
    }
}
