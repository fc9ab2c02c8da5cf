/// What a burst from one address counts: every scan it recorded (page views, forged and
/// mistyped codes, claims), or only its claims.
public enum BurstCounting: String, Sendable, Codable, CaseIterable {
    case scans
    case claims
}
