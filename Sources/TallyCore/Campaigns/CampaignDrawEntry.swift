import Foundation

/// One draw of a campaign's instant-win draw: a `campaign_awards` row with a ticket. With the
/// campaign's secret anyone recomputes `ticket` and `prize` from `kid` and `serial` (`DrawRecipe`).
public struct CampaignDrawEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var version: Int32
    /// The code: its key id and serial.
    public var kid: Int16
    public var serial: Int64
    public var ticket: Int32
    /// The prize the ticket won; nil: none (`no_prize`).
    public var prize: String?
    /// `awarded`, `no_prize`, `out_of_stock` (the prize had none left), `budget_exhausted` or `limit_reached`.
    public var outcome: String
    public var awardedAt: Date
}
