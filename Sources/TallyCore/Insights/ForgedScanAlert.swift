import Foundation

/// Forged codes scanned from one address (or network) within one hour: codes whose signature
/// is wrong or whose key is unknown, caught by the landing page without the database.
public struct ForgedScanAlert: Sendable, Codable, Equatable {
    /// The address (`203.0.113.9`) or network (`203.0.113.0/24`); nil when none was recorded.
    public var address: String?
    /// The start of the hour (UTC; the same hours as in Asia/Shanghai).
    public var hour: Date
    public var scans: Int
    public var firstAt: Date
    public var lastAt: Date
    /// Different addresses among them (more than 1 only when grouped by network).
    public var addresses: Int
    /// Different browsers (user agents) among them.
    public var userAgents: Int
    /// Up to three of what was scanned, in text order, to compare with the packages found.
    public var sampleInputs: [String]
    /// Up to three of the user agents, in text order.
    public var sampleUserAgents: [String]
}
