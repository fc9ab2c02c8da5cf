import Foundation

/// The days a campaign report covers, `from` to `to` (both included, `YYYY-MM-DD`): checked
/// before anything is queried.
public struct ReportRange: Sendable, Equatable {
    public static let maxDays = 366

    public let from: String
    public let to: String

    /// `from` and `to` as sent (nil: not sent); by default `to` is `today` and `from` the
    /// campaign's `startDay` (no later than `to`, and at most `maxDays` before it). A date that
    /// is not a calendar date is a 422 `invalid_report_date`; `from` after `to`, or more than
    /// `maxDays` days, a 422 `invalid_report_range`.
    public init(from: String?, to: String?, startDay: String, today: String) throws {
        for (name, text) in [("from", from), ("to", to)] {
            if let text, Self.date(text) == nil {
                throw StoreError(.invalid, .invalidReportDate, "\(name) is a calendar date written YYYY-MM-DD, e.g. 2026-02-17")
            }
        }
        let last = to ?? today
        var first = from ?? startDay
        if from == nil {
            // The default start: the window's, but not after the last day nor too long before it.
            let earliest = Self.string(Self.date(last)!.addingTimeInterval(-Double(Self.maxDays - 1) * 86_400))
            first = min(max(first, earliest), last)
        }
        let span = Self.days(from: Self.date(first)!, to: Self.date(last)!)
        guard span >= 0 else {
            throw StoreError(.invalid, .invalidReportRange, "from (\(first)) is after to (\(last))")
        }
        guard span < Self.maxDays else {
            throw StoreError(
                .invalid, .invalidReportRange, "a report covers at most \(Self.maxDays) days; \(first) to \(last) is \(span + 1)")
        }
        self.from = first
        self.to = last
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()

    /// The start of the day `text` (UTC), if it is a calendar date `YYYY-MM-DD` of years 1 to 9999.
    static func date(_ text: String) -> Date? {
        guard let match = text.wholeMatch(of: /([0-9]{4})-([0-9]{2})-([0-9]{2})/), let year = Int(match.1), year >= 1,
            let date = calendar.date(from: DateComponents(year: year, month: Int(match.2), day: Int(match.3))),
            string(date) == text
        else { return nil }
        return date
    }

    static func string(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1, parts.month ?? 1, parts.day ?? 1)
    }

    static func days(from: Date, to: Date) -> Int {
        Int(((to.timeIntervalSince(from)) / 86_400).rounded())
    }
}
