import Foundation

/// The days a dashboard or regions report covers, `from` to `to` (both included, `YYYY-MM-DD`,
/// programme days), and the period of equal length just before it, which the dashboard compares
/// it with. Checked before anything is queried.
public struct DashboardPeriod: Sendable, Equatable, Codable {
    /// Days shown when no period is asked for: the 30 ending today.
    public static let defaultDays = 30
    public static let maxDays = 366

    public let from: String
    public let to: String
    /// The number of days, `from` and `to` included.
    public let days: Int
    /// The `days` days that end the day before `from`.
    public let previousFrom: String
    public let previousTo: String

    /// `from` and `to` as sent (nil: not sent). By default `to` is `today` and `from` is
    /// `defaultDays - 1` days before `to`. A date that is not a calendar date is a 422
    /// `invalid_report_date`; `from` after `to`, or more than `maxDays` days, a 422
    /// `invalid_report_range`.
    public init(from: String?, to: String?, today: String) throws {
        for (name, text) in [("from", from), ("to", to)] {
            if let text, ReportRange.date(text) == nil {
                throw StoreError(.invalid, .invalidReportDate, "\(name) is a calendar date written YYYY-MM-DD, e.g. 2026-02-17")
            }
        }
        let last = ReportRange.date(to ?? today)!
        let first = from.map { ReportRange.date($0)! } ?? last.addingTimeInterval(-Double(Self.defaultDays - 1) * 86_400)
        let span = ReportRange.days(from: first, to: last)
        guard span >= 0 else {
            throw StoreError(.invalid, .invalidReportRange, "from (\(ReportRange.string(first))) is after to (\(ReportRange.string(last)))")
        }
        guard span < Self.maxDays else {
            throw StoreError(
                .invalid, .invalidReportRange,
                "a report covers at most \(Self.maxDays) days; \(ReportRange.string(first)) to \(ReportRange.string(last)) is \(span + 1)")
        }
        self.from = ReportRange.string(first)
        self.to = ReportRange.string(last)
        self.days = span + 1
        self.previousTo = ReportRange.string(first.addingTimeInterval(-86_400))
        self.previousFrom = ReportRange.string(first.addingTimeInterval(-Double(span + 1) * 86_400))
    }
}
