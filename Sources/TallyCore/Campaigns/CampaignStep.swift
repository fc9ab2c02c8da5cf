/// A step of a campaign's lifecycle, and the statuses it may be taken from:
/// schedule (draft → scheduled, while its window has not ended), pause (scheduled or live →
/// paused), resume (paused → scheduled) and end (any status but ended → ended; a draft may be
/// ended, to retire it without running it).
public enum CampaignStep: String, Sendable, CaseIterable {
    case schedule, pause, resume, end

    /// The state the step stores.
    var state: String {
        switch self {
        case .schedule, .resume: "scheduled"
        case .pause: "paused"
        case .end: "ended"
        }
    }

    /// What the change log records.
    var action: CampaignAction {
        switch self {
        case .schedule: .scheduled
        case .pause: .paused
        case .resume: .resumed
        case .end: .ended
        }
    }

    /// The statuses the step may be taken from.
    var from: Set<CampaignStatus> {
        switch self {
        case .schedule: [.draft]
        case .pause: [.scheduled, .live]
        case .resume: [.paused]
        case .end: [.draft, .scheduled, .live, .paused]
        }
    }

    /// The refusal of the step from `status`.
    public func refusal(from status: CampaignStatus) -> StoreError {
        let allowed = CampaignStatus.allCases.filter(from.contains).map(\.rawValue).joined(separator: " or ")
        return StoreError(.invalid, .invalidTransition, "a \(status.rawValue) campaign cannot \(rawValue): only a \(allowed) one can")
    }
}
