import Foundation
import TallyCore

/// What the audit log keeps of a member before and after a change staff made: its points,
/// tier, claims and identities (phone numbers in full, as staff saw them).
struct MemberSnapshot: Encodable, Sendable {
    var id: UUID
    var balance: Int64
    var lifetimeEarned: Int64
    var tier: String?
    var claims: Int64
    var identities: [String]

    init(_ profile: MemberProfile) {
        id = profile.id
        balance = profile.balance
        lifetimeEarned = profile.lifetimeEarned
        tier = profile.tier
        claims = profile.claims
        identities = profile.identities.map { "\($0.channel):\($0.externalId)" }
    }
}
