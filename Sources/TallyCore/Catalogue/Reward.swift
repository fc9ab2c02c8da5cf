import Foundation

/// A reward in the catalogue, as the API shows it.
public struct Reward: Sendable, Equatable, Codable {
    public var sku: String
    public var name: String
    public var description: String
    public var imageURL: String?
    public var costPoints: Int64
    /// Units ever made available (nil: unlimited). `initialStock − stock` units are in live
    /// redemptions (I4).
    public var initialStock: Int64?
    /// Units left to redeem (nil: unlimited).
    public var stock: Int64?
    /// Units one member may hold in live redemptions (nil: no limit).
    public var perMemberLimit: Int?
    public var activeFrom: Date?
    public var activeUntil: Date?
    /// Channels it may be redeemed through (nil: every channel).
    public var channels: [String]?
    /// Inside its active window now (stock aside).
    public var active: Bool
    public var createdAt: Date
    public var updatedAt: Date

    /// `imageUrl`, so that snake_case JSON (`image_url`) round-trips.
    enum CodingKeys: String, CodingKey {
        case sku, name, description, costPoints, initialStock, stock, perMemberLimit
        case activeFrom, activeUntil, channels, active, createdAt, updatedAt
        case imageURL = "imageUrl"
    }
}

/// A new reward, as a client posts it.
public struct NewReward: Sendable, Decodable, NullableJSONFields {
    public var sku: String
    public var name: String
    public var description: String?
    public var imageURL: String?
    public var costPoints: Int64
    /// Units available (absent or null: unlimited).
    public var stock: Int64?
    public var perMemberLimit: Int?
    public var activeFrom: Date?
    public var activeUntil: Date?
    public var channels: [String]?

    enum CodingKeys: String, CodingKey {
        case sku, name, description, costPoints, stock, perMemberLimit, activeFrom, activeUntil, channels
        case imageURL = "imageUrl"
    }

    /// `null` means the same as leaving these out: unlimited, no limit, no start, no end, every channel.
    public static let nullableJSONFields: Set<String> = ["stock", "per_member_limit", "active_from", "active_until", "channels"]

    public init(
        sku: String, name: String, description: String? = nil, imageURL: String? = nil, costPoints: Int64,
        stock: Int64? = nil, perMemberLimit: Int? = nil, activeFrom: Date? = nil, activeUntil: Date? = nil,
        channels: [String]? = nil
    ) {
        self.sku = sku
        self.name = name
        self.description = description
        self.imageURL = imageURL
        self.costPoints = costPoints
        self.stock = stock
        self.perMemberLimit = perMemberLimit
        self.activeFrom = activeFrom
        self.activeUntil = activeUntil
        self.channels = channels
    }
}

/// One field of a partial update: left out (kept), `null` (cleared) or a new value.
public enum FieldUpdate<Value: Sendable>: Sendable, OptionalJSONField {
    case keep
    case clear
    case set(Value)

    /// The field's value after the update.
    func applied(to current: Value?) -> Value? {
        switch self {
        case .keep: current
        case .clear: nil
        case .set(let value): value
        }
    }
}

extension KeyedDecodingContainer {
    /// A field that JSON may leave out (keep), send as `null` (clear) or set.
    func update<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> FieldUpdate<T> {
        guard contains(key) else { return .keep }
        if try decodeNil(forKey: key) { return .clear }
        return .set(try decode(T.self, forKey: key))
    }
}

/// A change to a reward (`PATCH`): only the fields sent change; `null` clears a field that
/// may be empty (image, limit, window ends, channels, and stock, which makes it unlimited), and
/// is refused in the others (name, description, cost, SKU, add_stock).
public struct RewardPatch: Sendable, Decodable, NullableJSONFields {
    public var sku: String?
    public var name: FieldUpdate<String> = .keep
    public var description: FieldUpdate<String> = .keep
    public var imageURL: FieldUpdate<String> = .keep
    public var costPoints: FieldUpdate<Int64> = .keep
    /// Units available from now on; initial stock follows, so that I4 keeps holding.
    public var stock: FieldUpdate<Int64> = .keep
    /// Units to add (or, negative, to withdraw) on both initial stock and stock.
    public var addStock: Int64?
    public var perMemberLimit: FieldUpdate<Int> = .keep
    public var activeFrom: FieldUpdate<Date> = .keep
    public var activeUntil: FieldUpdate<Date> = .keep
    public var channels: FieldUpdate<[String]> = .keep

    enum CodingKeys: String, CodingKey {
        case sku, name, description, costPoints, stock, addStock, perMemberLimit, activeFrom, activeUntil, channels
        case imageURL = "imageUrl"
    }

    public static let nullableJSONFields: Set<String> = [
        "image_url", "stock", "per_member_limit", "active_from", "active_until", "channels",
    ]

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sku = try c.decodeIfPresent(String.self, forKey: .sku)
        name = try c.update(String.self, forKey: .name)
        description = try c.update(String.self, forKey: .description)
        imageURL = try c.update(String.self, forKey: .imageURL)
        costPoints = try c.update(Int64.self, forKey: .costPoints)
        stock = try c.update(Int64.self, forKey: .stock)
        addStock = try c.decodeIfPresent(Int64.self, forKey: .addStock)
        perMemberLimit = try c.update(Int.self, forKey: .perMemberLimit)
        activeFrom = try c.update(Date.self, forKey: .activeFrom)
        activeUntil = try c.update(Date.self, forKey: .activeUntil)
        channels = try c.update([String].self, forKey: .channels)
    }
}
