import Foundation

/// A campaign's definition as a client sends it: the whole of it to create one (`POST`), or
/// the parts to change (`PATCH`), where each top-level part given replaces that part whole.
/// Everything is optional here so that a missing part gets its own 422 from the rules
/// (`CampaignDefinition(validating:)`), not a bare 400.
public struct CampaignInput: Sendable, Codable, Equatable, NullableJSONFields {
    public var name: CampaignName?
    public var startsAt: Date?
    public var endsAt: Date?
    public var timeZone: String?
    public var priority: Int?
    public var exclusive: Bool?
    public var conditions: CampaignConditions?
    public var effect: CampaignEffect?
    public var budget: CampaignBudget?
    public var limits: CampaignLimits?

    /// No part may be `null`: a part is replaced whole, and `{}` empties conditions, budget or limits.
    public static let nullableJSONFields: Set<String> = []

    public init() {}

    /// This change applied to `current`: each part given here replaces the same part there.
    func replacingParts(of current: CampaignInput) -> CampaignInput {
        var merged = current
        if let name { merged.name = name }
        if let startsAt { merged.startsAt = startsAt }
        if let endsAt { merged.endsAt = endsAt }
        if let timeZone { merged.timeZone = timeZone }
        if let priority { merged.priority = priority }
        if let exclusive { merged.exclusive = exclusive }
        if let conditions { merged.conditions = conditions }
        if let effect { merged.effect = effect }
        if let budget { merged.budget = budget }
        if let limits { merged.limits = limits }
        return merged
    }
}
