import Foundation
import NIOCore

/// What `api_claim` answers for a claim it did not refuse: data, never HTTP (the server writes
/// the answer from it, see `APIClaimStore`).
enum APIClaimResult: Sendable, Equatable {
    /// The claim's member, points, balance after it and its campaign awards (JSON, see
    /// ClaimAward): made by this call, or by an earlier request with the same Idempotency-Key
    /// (`replayed`).
    case claimed(member: UUID, points: Int, balance: Int64, awards: String, replayed: Bool)
    /// An answer stored as a status and body before migration 0010, replayed as it is.
    case recorded(status: Int, body: ByteBuffer)

    /// From `api_claim`'s row (outcome, member_id, points, balance, stored_status, stored_body,
    /// awards); nil for a row it never gives.
    init?(
        outcome: String, member: UUID?, points: Int?, balance: Int64?, storedStatus: Int?, storedBody: ByteBuffer?, awards: String?
    ) {
        guard outcome == "claimed" || outcome == "replayed" else { return nil }
        if let member, let points, let balance {
            self = .claimed(member: member, points: points, balance: balance, awards: awards ?? "[]", replayed: outcome == "replayed")
        } else if outcome == "replayed", let storedStatus, storedStatus != 0, let storedBody {
            self = .recorded(status: storedStatus, body: storedBody)
        } else {
            return nil
        }
    }
}
