import Foundation

/// JSON as the API writes it (snake_case keys, sorted, RFC 3339 date-times in UTC), for the
/// campaigns the change log keeps in `before` and `after`, so that the log shows each one
/// exactly as the API showed it.
enum CampaignJSON {
    static func encode(_ campaign: Campaign) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .rfc3339
        return String(decoding: try encoder.encode(campaign), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> Campaign {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .rfc3339
        return try decoder.decode(Campaign.self, from: Data(text.utf8))
    }
}
