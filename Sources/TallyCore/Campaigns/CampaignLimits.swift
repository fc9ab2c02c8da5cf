/// A campaign's abuse limits, as the API reads and shows them: awards per phone number, per
/// device cookie and per IP address per local day. Each left out is no limit.
public struct CampaignLimits: Sendable, Codable, Equatable {
    public var awardsPerPhonePerDay: Int?
    public var awardsPerDevicePerDay: Int?
    public var awardsPerIpPerDay: Int?

    public init() {}
}
