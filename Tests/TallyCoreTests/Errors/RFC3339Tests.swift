import Foundation
import TallyCore
import Testing

/// The one date-time parser and formatter (issue 15: `2024-02-30T25:00:00Z` was rolled over
/// into March; fractional seconds were refused by the ledger's `from`).
@Suite("RFC 3339 date-times")
struct RFC3339Tests {
    @Test(
        "valid date-times are read as the instant they name",
        arguments: [
            ("2025-01-01T00:00:00Z", 1_735_689_600.0), ("2025-01-01T00:00:00.123Z", 1_735_689_600.123),
            ("2025-01-01T08:00:00+08:00", 1_735_689_600.0), ("2024-12-31T19:30:00-04:30", 1_735_689_600.0),
            ("2025-01-01t00:00:00z", 1_735_689_600.0), ("2024-02-29T23:59:59Z", 1_709_251_199.0),
            ("2000-02-29T00:00:00.5Z", 951_782_400.5), ("1970-01-01T00:00:00Z", 0),
            ("0001-01-01T00:00:00Z", -62_135_596_800), ("9999-12-31T23:59:59.999Z", 253_402_300_799.999),
            ("1500-03-01T00:00:00Z", -14_826_672_000), // proleptic Gregorian, as PostgreSQL counts
        ])
    func valid(_ text: String, _ seconds: Double) throws {
        let date = try #require(RFC3339.date(from: text), "\(text) was refused")
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_5, "\(text): \(date.timeIntervalSince1970)")
    }

    @Test(
        "impossible or malformed date-times are refused, never rolled over",
        arguments: [
            "2024-02-30T25:00:00Z", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
            "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z",
            "2024-12-31T23:59:60Z", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+08:60", "2024-01-01T00:00:00",
            "2024-01-01", "2024-01-01T00:00:00.Z", "2024-01-01 00:00:00Z", " 2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z ",
            "2024-1-01T00:00:00Z", "２０２４-01-01T00:00:00Z", "0000-12-31T23:59:59Z", "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01", "2024-01-01T00:00:00+0800", "", "now",
        ])
    func refused(_ text: String) {
        #expect(RFC3339.date(from: text) == nil, "\(text) was read as \(String(describing: RFC3339.date(from: text)))")
    }

    @Test("written in UTC to the second, as the API always answered, and read back")
    func written() throws {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_735_689_600.999)) == "2025-01-01T00:00:00Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -14_826_672_000)) == "1500-03-01T00:00:00Z")
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        for seconds in stride(from: -2_000_000_000.0, through: 4_000_000_000, by: 86_399 * 97.0) {
            let date = Date(timeIntervalSince1970: seconds)
            let text = RFC3339.string(from: date)
            // The same text as Foundation's ISO 8601 encoder, where its calendar is Gregorian.
            #expect(try encoder.encode([date]) == Data("[\"\(text)\"]".utf8), "\(text)")
            #expect(RFC3339.date(from: text) == date, "\(text)")
        }
    }
}
