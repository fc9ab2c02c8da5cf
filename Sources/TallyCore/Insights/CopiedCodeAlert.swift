import Foundation

/// A claimed code that keeps being scanned by other people: its QR was most likely copied onto
/// counterfeit packages, which buyers scan and find "already claimed".
public struct CopiedCodeAlert: Sendable, Codable, Equatable {
    /// The code by key id and serial. Its printable text needs the signing key (its tag is a
    /// signature), which the console can add from its key ring.
    public var kid: Int
    public var serial: Int64
    public var sku: String
    public var productName: String
    public var batchID: Int64
    public var lot: String?
    public var claimedAt: Date
    /// The member who claimed it (as recorded; a merge may have moved the claim's points since).
    public var claimedBy: UUID
    /// The channel it was claimed through (`web`, or the API client's).
    public var channel: String
    /// Different scanners in the window, other than the claimant signed in: a signed-in member,
    /// or else an address and browser (user agent) pair.
    public var scanners: Int
    /// Different signed-in members among them.
    public var members: Int
    /// Different addresses among them.
    public var addresses: Int
    /// Scans by others in the window.
    public var scans: Int
    public var lastScanAt: Date
}
