import Foundation

/// Many scans (or claims) from one address (or network) within a few minutes: a script trying
/// codes, a shop scanning a box of packages, or a channel backend claiming over the API.
public struct BurstAlert: Sendable, Codable, Equatable {
    /// The address (`203.0.113.9`) or network (`203.0.113.0/24`).
    public var address: String
    /// The start of the busiest stretch of the burst (the window the threshold is met in).
    public var start: Date
    /// The last scan of that stretch (no later than `start` + the alert's minutes).
    public var end: Date
    /// What was counted within that stretch: scans, or claims when counting claims.
    public var count: Int
    /// Claims among them.
    public var claims: Int
    /// Different codes among them (genuine codes, or the text of forged and mistyped ones).
    public var codes: Int
    /// Different signed-in members among them.
    public var members: Int
    /// Up to three of the user agents, in text order (an API claim's is its API key's name).
    public var sampleUserAgents: [String]
}
