extension CampaignReport {
    /// The days as CSV, one line per day after the header; a budget without a limit is an empty
    /// field. No field can hold a comma, quote or line break: dates, numbers, and prize keys
    /// (lower-case letters, digits, `_` and `-`).
    public var csv: String {
        let prizes = days.first?.prizesLeft.map(\.key) ?? []
        let header =
            [
                "day", "matched", "awards", "points", "vouchers", "members_reached", "no_prize", "out_of_stock", "budget_exhausted",
                "limit_reached", "points_budget_left", "awards_budget_left",
            ] + prizes.map { "prize_\($0)_left" }
        var lines = [header.joined(separator: ",")]
        for day in days {
            let counts: [Int64] = [
                day.matched, day.awards, day.points, day.vouchers, day.membersReached, day.refused.noPrize, day.refused.outOfStock,
                day.refused.budgetExhausted, day.refused.limitReached,
            ]
            let left: [Int64?] = [day.pointsBudgetLeft, day.awardsBudgetLeft] + day.prizesLeft.map(\.left)
            let fields: [String] = [day.day] + counts.map { String($0) } + left.map { $0.map { String($0) } ?? "" }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
