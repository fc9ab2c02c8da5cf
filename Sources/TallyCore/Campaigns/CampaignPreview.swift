import Foundation
import Logging
import PostgresNIO
import TallyCodes

/// What a member would get for a code right now (`POST /api/v1/campaigns/preview`), found by
/// making the claim itself in a transaction that is then rolled back: the same SQL as a real
/// claim (claim_code, apply_campaigns), so a preview cannot disagree with the claim it
/// foretells, and nothing it did is kept. While it runs (milliseconds) it holds what a claim
/// holds: the member's row, and a slice of each budget it draws on.
public struct CampaignPreview: Sendable {
    public struct Answer: Sendable, Encodable, Equatable {
        public var code: String
        /// The member the claim would credit (a merged member's survivor).
        public var memberId: UUID
        /// `claimable`, or why the claim would be refused: `already_claimed`, `unknown_batch`,
        /// `not_active`, `voided`, `expired`, `daily_cap`.
        public var result: String
        /// The code's points and the balance after the claim and its awards, when claimable.
        public var points: Int?
        public var balanceAfter: Int64?
        /// What live campaigns (and the campaign previewed as live, if any) would award.
        public var awards: [ClaimAward]
    }

    let database: PostgresClient
    let logger: Logger
    let claims: ClaimStore

    public init(database: PostgresClient, logger: Logger, claims: ClaimStore) {
        self.database = database
        self.logger = logger
        self.claims = claims
    }

    /// The claim of `code` by `member` on `channel`, rolled back. `asLive`: a campaign that
    /// applies as if it were scheduled and inside its window now (a draft being tried out),
    /// besides the live ones.
    public func preview(code: Code, member: UUID, channel: ChannelName, asLive campaign: Int64?) async throws -> Answer {
        try await database.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let answer = try await preview(code: code, member: member, channel: channel, asLive: campaign, on: connection)
                try await connection.query("ROLLBACK", logger: logger)
                return answer
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private func preview(code: Code, member: UUID, channel: ChannelName, asLive campaign: Int64?, on connection: PostgresConnection)
        async throws -> Answer
    {
        let known = try await connection.query("SELECT coalesce(merged_into, id) FROM members WHERE id = \(member)", logger: logger)
        var survivor: UUID?
        for try await id in known.decode(UUID.self) { survivor = id }
        guard let survivor else { throw MemberDirectory.notFound(member) }
        if let campaign { try await makeLive(campaign, on: connection) }
        let context = ClaimContext(channel: channel.rawValue)
        var answer = Answer(code: code.text, memberId: survivor, result: "claimable", awards: [])
        switch try await claims.claim(code, for: member, context: context, on: connection) {
        case .claimed(let points, let balance, let awards):
            answer.points = points
            answer.balanceAfter = balance
            answer.awards = awards
        case .alreadyClaimed: answer.result = "already_claimed"
        case .unknownBatch: answer.result = "unknown_batch"
        case .notActive: answer.result = "not_active"
        case .voided: answer.result = "voided"
        case .expired: answer.result = "expired"
        case .dailyCap: answer.result = "daily_cap"
        }
        return answer
    }

    /// Inside the transaction only: the campaign scheduled, its current version's window
    /// holding now.
    private func makeLive(_ campaign: Int64, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            WITH c AS (UPDATE campaigns SET state = 'scheduled' WHERE id = \(campaign) AND state <> 'ended'
                       RETURNING id, version)
            UPDATE campaign_versions v SET starts_at = least(v.starts_at, now()),
                                           ends_at = greatest(v.ends_at, now() + interval '1 minute')
            FROM c WHERE v.campaign_id = c.id AND v.version = c.version
            RETURNING (SELECT count(*) FROM campaigns x WHERE x.id = \(campaign))
            """, logger: logger)
        for try await _ in rows.decode(Int.self) { return }
        let exists = try await connection.query("SELECT count(*) FROM campaigns WHERE id = \(campaign)", logger: logger)
        for try await n in exists.decode(Int.self) where n == 0 {
            throw StoreError(.notFound, .campaignNotFound, "no campaign has id \(campaign)")
        }
        throw StoreError(.invalid, .campaignEnded, "campaign \(campaign) has ended: it can no longer be previewed")
    }
}
