import Foundation

/// What the brand sets on a reward besides its SKU and stock, checked as a whole: a change
/// is checked on the reward it would leave (an end before a start is refused, whichever
/// request set which).
struct RewardTerms: Sendable {
    static let maxCost: Int64 = 100_000_000
    static let maxStock: Int64 = 1_000_000_000
    static let maxPerMemberLimit = 1_000_000
    static let maxChannels = 20

    var name: String
    var description: String
    var imageURL: String?
    var costPoints: Int64
    var perMemberLimit: Int?
    var activeFrom: Date?
    var activeUntil: Date?
    var channels: [String]?

    /// Checks the terms; the image URL comes back with its scheme in lower case.
    mutating func validate() throws {
        try TextRules.check(name, field: "name", invalid: .invalidName, lengths: 1...200)
        try TextRules.check(description, field: "description", invalid: .invalidDescription, lengths: 0...4000, multiline: true)
        if let imageURL { self.imageURL = try TextRules.httpURL(imageURL, field: "image_url", invalid: .invalidImageURL) }
        guard (1...Self.maxCost).contains(costPoints) else {
            throw StoreError(.invalid, .invalidCostPoints, "cost_points is between 1 and \(Self.maxCost)")
        }
        if let limit = perMemberLimit, !(1...Self.maxPerMemberLimit).contains(limit) {
            throw StoreError(
                .invalid, .invalidPerMemberLimit, "per_member_limit is between 1 and \(Self.maxPerMemberLimit), or null for none")
        }
        if let from = activeFrom, let until = activeUntil, until <= from {
            throw StoreError(.invalid, .invalidActiveWindow, "active_until must be later than active_from")
        }
        if let channels {
            guard (1...Self.maxChannels).contains(channels.count) else {
                throw StoreError(
                    .invalid, .invalidChannels, "channels lists 1 to \(Self.maxChannels) channels, or is null for every channel")
            }
            guard channels.allSatisfy({ ChannelName(rawValue: $0) != nil }) else {
                throw StoreError(
                    .invalid, .invalidChannels, "each channel is 2 to 32 lower-case letters, digits or _, starting with a letter")
            }
            guard Set(channels).count == channels.count else {
                throw StoreError(.invalid, .invalidChannels, "channels lists a channel twice")
            }
        }
    }

    static func validateStock(_ stock: Int64) throws {
        guard (0...maxStock).contains(stock) else {
            throw StoreError(.invalid, .invalidStock, "stock is between 0 and \(maxStock), or null for unlimited")
        }
    }
}
