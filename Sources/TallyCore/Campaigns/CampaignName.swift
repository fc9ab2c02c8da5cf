/// A campaign's or a prize's name in both languages the pages speak.
public struct CampaignName: Sendable, Codable, Equatable {
    public var zh: String?
    public var en: String?

    public init(zh: String?, en: String?) {
        self.zh = zh
        self.en = en
    }
}
