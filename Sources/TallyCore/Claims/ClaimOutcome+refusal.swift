import Foundation

extension ClaimOutcome {
    /// An outcome of `claim_code` by its name in SQL; nil for `claimed` and unknown names
    /// (`already_claimed` needs who and when, so it is built by the caller).
    init?(refusalName name: String) {
        switch name {
        case "unknown_batch": self = .unknownBatch
        case "not_active": self = .notActive
        case "voided": self = .voided
        case "expired": self = .expired
        case "daily_cap": self = .dailyCap
        default: return nil
        }
    }

    /// The API's refusal for an outcome other than `claimed`; `member`, whom the claim was for,
    /// tells "claimed by this member" from "by another member".
    public func refusal(member: UUID? = nil) -> StoreError {
        switch self {
        case .alreadyClaimed(let by, let at):
            let who = by == member ? "by this member" : "by another member"
            return StoreError(.conflict, .alreadyClaimed, "the code was claimed \(who) at \(ISO8601DateFormatter().string(from: at))")
        case .unknownBatch, .notActive: return StoreError(.conflict, .notActive, "the code is genuine but not active yet")
        case .voided: return StoreError(.conflict, .voided, "the brand has voided this code")
        case .expired: return StoreError(.conflict, .expired, "the time to claim this batch has ended")
        case .dailyCap: return StoreError(.rateLimited, .dailyCap, "this member has reached today's claim limit")
        // Not a refusal: never asked for (claim_code's "claimed" has no refusal name).
        case .claimed: return StoreError(.conflict, .claimFailed, "the code was claimed: no refusal")
        }
    }
}
