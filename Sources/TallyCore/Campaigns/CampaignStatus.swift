import Foundation

/// The status a campaign shows, from its stored state and its window: `draft`; `scheduled`
/// (before its start); `live` (inside `[starts_at, ends_at)`); `paused`; `ended` (ended by
/// hand, or scheduled or paused and past its end). A draft stays a draft whatever its window
/// says: it never ran. Ended is final: an ended campaign never changes again.
public enum CampaignStatus: String, Sendable, Codable, CaseIterable {
    case draft, scheduled, live, paused, ended

    /// The status of a campaign in stored `state` with the window `[startsAt, endsAt)` at `now`.
    init(state: String, startsAt: Date, endsAt: Date, now: Date) {
        switch state {
        case "draft": self = .draft
        case "ended": self = .ended
        case _ where now >= endsAt: self = .ended
        case "paused": self = .paused
        case _ where now >= startsAt: self = .live
        default: self = .scheduled
        }
    }

    /// The same rule in SQL, over the columns `c.state`, `v.starts_at`, `v.ends_at` (the list's filter).
    static let sql = """
        CASE WHEN c.state = 'draft' THEN 'draft' WHEN c.state = 'ended' OR now() >= v.ends_at THEN 'ended'
             WHEN c.state = 'paused' THEN 'paused' WHEN now() >= v.starts_at THEN 'live' ELSE 'scheduled' END
        """
}
