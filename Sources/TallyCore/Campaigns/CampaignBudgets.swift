import Logging
import PostgresNIO

/// Keeps a campaign's budget rows (campaign_budgets and their slices) in step with a new
/// version, only through `set_campaign_budget`: 'points', 'awards' and each prize's stock
/// ('prize:<key>'). What the awards used stays used. A budget a version leaves out goes
/// (unlimited), except the stock of a prize that has been won: that row stays, so that the
/// prize, given back under the same key, still counts what was won.
enum CampaignBudgets {
    static func apply(_ definition: CampaignDefinition, campaign: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            """
            SELECT b.budget, b.total, b.total - coalesce((SELECT sum(s.units) FROM campaign_budget_slices s
                                                          WHERE s.campaign_id = b.campaign_id AND s.budget = b.budget), 0)::int8
            FROM campaign_budgets b WHERE b.campaign_id = \(campaign)
            """, logger: logger)
        var current: [String: (total: Int64, used: Int64)] = [:]
        for try await (budget, total, used) in rows.decode((String, Int64, Int64).self) { current[budget] = (total, used) }
        let wanted = definition.budgetTotals
        for (budget, total) in wanted.sorted(by: { $0.key < $1.key }) where current[budget]?.total != total {
            guard current[budget] != nil || total != nil else { continue }
            try await set(budget, to: total, campaign: campaign, on: connection, logger: logger)
        }
        for (budget, figures) in current.sorted(by: { $0.key < $1.key })
        where wanted[budget] == nil && budget.hasPrefix("prize:") && figures.used == 0 {
            try await set(budget, to: nil, campaign: campaign, on: connection, logger: logger)
        }
    }

    /// `set_campaign_budget`, whose check_violation (a total below what is used) is a 422.
    private static func set(
        _ budget: String, to total: Int64?, campaign: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws {
        do {
            // Read to the end: the function's error comes with its result, not with the query's start.
            let rows = try await connection.query("SELECT set_campaign_budget(\(campaign), \(budget), \(total))", logger: logger)
            for try await _ in rows {}
        } catch let error where DatabaseError(error)?.sqlState == DatabaseError.checkViolation {
            let used = DatabaseError(error)?.message?.firstMatch(of: /below the ([0-9]+) already used/).map { String($0.1) } ?? "more"
            let field = budget.hasPrefix("prize:") ? "the stock of prize \(budget.dropFirst(6))" : "budget.\(budget)"
            throw StoreError(.invalid, .budgetBelowUsed, "\(field) cannot be \(total ?? 0): the campaign's awards already used \(used)")
        }
    }
}
