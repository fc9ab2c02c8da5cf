import Foundation

/// How the console writes numbers, dates and times: in the programme's time zone, digits grouped.
enum ConsoleFormat {
    /// The time zone pages show times in and read days in (`TALLY_TIME_ZONE`, set at start).
    nonisolated(unsafe) static var timeZone = TimeZone(identifier: "Asia/Shanghai")!

    static func number(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    static func number(_ value: Int) -> String { number(Int64(value)) }

    /// A share as a percentage with one decimal, "—" when there is nothing to divide by.
    static func percent(_ part: Int64, of whole: Int64) -> String {
        guard whole > 0 else { return "—" }
        return String(format: "%.1f%%", Double(part) * 100 / Double(whole))
    }

    /// The change from `before` to `now`, as "+12.5%" (or "—" from zero).
    static func change(_ now: Int64, from before: Int64) -> String {
        guard before != 0 else { return now == 0 ? "0%" : "—" }
        let change = Double(now - before) * 100 / Double(before.magnitude)
        return String(format: "%+.1f%%", change)
    }

    static func day(_ date: Date, lang: ConsoleLanguage) -> String {
        calendarString(date, "yyyy-MM-dd")
    }

    static func time(_ date: Date?, lang: ConsoleLanguage) -> String {
        guard let date else { return "—" }
        return calendarString(date, "yyyy-MM-dd HH:mm")
    }

    /// A `YYYY-MM-DD` typed in a form or query, as the start of that day in the programme's zone.
    static func parseDay(_ text: String?) -> Date? {
        guard let text, text.count == 10 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.isLenient = false
        guard let date = formatter.date(from: text), calendarString(date, "yyyy-MM-dd") == text else { return nil }
        return date
    }

    /// A calendar day `YYYY-MM-DD` moved by `days` (the text back unchanged if it is no day).
    static func addDays(_ day: String, _ days: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: day) else { return day }
        return formatter.string(from: date.addingTimeInterval(Double(days) * 86_400))
    }

    private static func calendarString(_ date: Date, _ format: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = format
        return formatter.string(from: date)
    }
}
