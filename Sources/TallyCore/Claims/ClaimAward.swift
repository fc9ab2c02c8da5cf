import Foundation

/// What a claim won from a live campaign (db/functions/apply_campaigns.sql): bonus points, a
/// multiplier's extra points, a voucher, or a draw's prize. The claim's answer lists them, and
/// the landing page says them in the consumer's language.
public struct ClaimAward: Sendable, Codable, Equatable {
    public struct Names: Sendable, Codable, Equatable {
        public var zh: String
        public var en: String

        public init(zh: String, en: String) {
            self.zh = zh
            self.en = en
        }
    }

    /// A draw's prize.
    public struct Prize: Sendable, Codable, Equatable {
        public var key: String
        public var name: Names
    }

    /// The catalogue reward of a voucher.
    public struct Reward: Sendable, Codable, Equatable {
        public var sku: String
        public var name: String
    }

    public var campaignId: Int64
    /// The campaign's version the award was made under.
    public var version: Int
    public var name: Names
    /// `bonus`, `multiplier`, `voucher` or `draw`.
    public var effect: String
    /// Points credited (0 for a voucher).
    public var points: Int64
    public var prize: Prize?
    public var reward: Reward?
    /// The voucher's code, for a reward won.
    public var voucher: String?
    public var redemptionId: UUID?

    /// The awards from the JSON array that SQL returns (snake_case keys); "[]", the usual
    /// answer, costs no decoding.
    static func list(fromJSON text: String?) throws -> [ClaimAward] {
        guard let text, text != "[]" else { return [] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode([ClaimAward].self, from: Data(text.utf8))
    }
}
