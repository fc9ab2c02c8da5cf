import Foundation

/// One scan of a code (or of something that was not one), as the brand's reports need it.
public struct Scan: Sendable {
    /// What the scan found: valid, typo, forged, malformed, unknown_key, claimed_by_other, …
    public var result: String
    public var kid: Int16?
    public var serial: Int64?
    /// What was scanned or typed, when it was not a genuine code (cut to 200 characters).
    public var input: String?
    public var member: UUID?
    public var ip: String?
    public var userAgent: String?
    public var latitude: Double?
    public var longitude: Double?
    public var accuracy: Float?
    public var at = Date()

    public init(
        result: String, kid: Int16? = nil, serial: Int64? = nil, input: String? = nil, member: UUID? = nil,
        ip: String? = nil, userAgent: String? = nil, latitude: Double? = nil, longitude: Double? = nil, accuracy: Float? = nil
    ) {
        self.result = result
        self.kid = kid
        self.serial = serial
        // Recorded as it came, but PostgreSQL cannot store a NUL: one in a typed code would make
        // every insert of the scans waiting with it fail.
        self.input = input.map { TextRules.storable(String($0.prefix(200))) }
        self.member = member
        self.ip = ip
        self.userAgent = userAgent.map { TextRules.storable(String($0.prefix(500))) }
        self.latitude = latitude
        self.longitude = longitude
        self.accuracy = accuracy
    }
}
