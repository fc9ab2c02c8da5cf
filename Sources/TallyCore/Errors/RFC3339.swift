import Foundation

/// Date-times as the API, the CLI and the contract write them: RFC 3339 (`format: date-time`),
/// the one parser and the one formatter for them.
///
/// Read: `YYYY-MM-DDTHH:MM:SS`, optional fractional seconds (any number of digits), then `Z` or
/// an offset `±HH:MM` (`T` and `Z` in either case), e.g. `2025-01-01T00:00:00.123Z` or
/// `2025-01-01T08:00:00+08:00`. An impossible date or time (`2024-02-30`, `25:00`, a leap
/// second `23:59:60`) is refused, never rolled over into the next day, as Foundation's ISO 8601
/// decoding does; so is an instant outside 0001-01-01T00:00:00Z ..< 10000-01-01T00:00:00Z, which
/// could not be written back with a four-digit year. Days are counted in the proleptic Gregorian
/// calendar, as PostgreSQL and RFC 3339 count them (Foundation's calendar turns Julian before 1582).
///
/// Written: `YYYY-MM-DDTHH:MM:SSZ` in UTC, whole seconds (what the API has always answered).
public enum RFC3339 {
    /// The instant `text` names, or nil if it is not an RFC 3339 date-time of a possible instant.
    public static func date(from text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    /// `date` as `YYYY-MM-DDTHH:MM:SSZ` (fractions of a second are dropped).
    public static func string(from date: Date) -> String {
        let whole = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = whole >= 0 ? whole / 86_400 : -((-whole + 86_399) / 86_400)
        let secondOfDay = Int(whole - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        var out = [UInt8]()
        out.reserveCapacity(20)
        func put(_ value: Int64, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var rest = value < 0 ? -value : value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: digits)
        }
        put(year, 4)
        out.append(UInt8(ascii: "-"))
        put(month, 2)
        out.append(UInt8(ascii: "-"))
        put(day, 2)
        out.append(UInt8(ascii: "T"))
        put(Int64(secondOfDay / 3600), 2)
        out.append(UInt8(ascii: ":"))
        put(Int64(secondOfDay / 60 % 60), 2)
        out.append(UInt8(ascii: ":"))
        put(Int64(secondOfDay % 60), 2)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The first instant that is too late, 10000-01-01T00:00:00Z, and the first that is not too early, 0001-01-01T00:00:00Z.
    static let latest = Double(days(year: 10000, month: 1, day: 1) * 86_400)
    static let earliest = Double(days(year: 1, month: 1, day: 1) * 86_400)

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        func digit(_ i: Int) -> Int64? {
            guard i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
            return Int64(b[i] - UInt8(ascii: "0"))
        }
        func number(_ at: Int, _ width: Int) -> Int64? {
            var value: Int64 = 0
            for i in at..<(at + width) {
                guard let d = digit(i) else { return nil }
                value = value * 10 + d
            }
            return value
        }
        func byte(_ i: Int, _ options: Character...) -> Bool {
            i < b.count && options.contains { $0.asciiValue == b[i] }
        }
        guard let year = number(0, 4), byte(4, "-"), let month = number(5, 2), byte(7, "-"), let day = number(8, 2),
            byte(10, "T", "t"), let hour = number(11, 2), byte(13, ":"), let minute = number(14, 2), byte(16, ":"),
            let second = number(17, 2)
        else { return nil }
        var i = 19
        var fraction = 0.0
        if byte(i, ".") {
            i += 1
            var scale = 0.1
            let first = i
            while let d = digit(i) {
                fraction += Double(d) * scale
                scale /= 10
                i += 1
            }
            guard i > first else { return nil }
        }
        var offset: Int64 = 0
        if byte(i, "Z", "z") {
            i += 1
        } else if byte(i, "+", "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard let hours = number(i + 1, 2), byte(i + 3, ":"), let minutes = number(i + 4, 2), hours <= 23, minutes <= 59 else {
                return nil
            }
            offset = sign * (hours * 3600 + minutes * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour <= 23, minute <= 59,
            second <= 59
        else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        let instant = Double(seconds) + fraction
        guard instant >= earliest, instant < latest else { return nil }
        return Date(timeIntervalSince1970: instant)
    }

    private static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date, in the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01, in the proleptic Gregorian calendar (`civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension JSONDecoder.DateDecodingStrategy {
    /// Date-times read by `RFC3339.date(from:)`: an impossible one is refused, not rolled over.
    public static var rfc3339: Self {
        .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an RFC 3339 date-time of a real instant, e.g. 2026-03-01T08:30:00Z")
            }
            return date
        }
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// Date-times written by `RFC3339.string(from:)`: UTC, whole seconds.
    public static var rfc3339: Self {
        .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
    }
}
