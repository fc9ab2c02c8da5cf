import Foundation
import TallyCore

/// Reading the catalogue and packaging forms' fields: whole numbers and local date-times, each
/// refused with the API's error code for the field when it is not one.
enum CatalogueInput {
    /// A whole number, nil when the field was left empty.
    static func integer(_ text: String?, field: String, invalid: ErrorCode) throws -> Int64? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Int64(text.replacingOccurrences(of: ",", with: "")) else {
            throw StoreError(.invalid, invalid, "\(field) is a whole number")
        }
        return value
    }

    /// A whole number that fits an `Int`, nil when empty.
    static func int(_ text: String?, field: String, invalid: ErrorCode) throws -> Int? {
        guard let value = try integer(text, field: field, invalid: invalid) else { return nil }
        guard let small = Int(exactly: value), (Int(Int32.min)...Int(Int32.max)).contains(small) else {
            throw StoreError(.invalid, invalid, "\(field) is out of range")
        }
        return small
    }

    /// A `datetime-local` value (`YYYY-MM-DDTHH:MM`) in the programme's time zone, nil when empty.
    static func dateTime(_ text: String?, field: String, invalid: ErrorCode) throws -> Date? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let formatter = localFormatter()
        guard let date = formatter.date(from: String(text.prefix(16))), text.count == 16 || text.count == 19 else {
            throw StoreError(.invalid, invalid, "\(field) is a date and time written YYYY-MM-DDTHH:MM")
        }
        return date
    }

    /// A time as a `datetime-local` input shows it ("" for none).
    static func dateTimeValue(_ date: Date?) -> String {
        guard let date else { return "" }
        return localFormatter().string(from: date)
    }

    /// A list typed as "web, wechat_miniprogram" (commas or spaces); nil when empty.
    static func list(_ text: String?) -> [String]? {
        let items = (text ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "，" || $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return items.isEmpty ? nil : items
    }

    private static func localFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = ConsoleFormat.timeZone
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        formatter.isLenient = false
        return formatter
    }
}
