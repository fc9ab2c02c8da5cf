import Foundation
import Logging
import PostgresNIO

/// A member's identity in one channel: `phone` (E.164), `wechat_unionid`, `tmall`, `jd`, …
/// As a client sent it: `validate()` checks the channel (a `ChannelName`) and the external id,
/// at the point in a request where the API reports them.
public struct Identity: Hashable, Sendable, Codable {
    public var channel: String
    public var externalId: String

    public init(channel: String, externalId: String) {
        self.channel = channel
        self.externalId = externalId
    }

    public static func phone(_ number: PhoneNumber) -> Identity {
        Identity(channel: ChannelName.phone.rawValue, externalId: number.e164)
    }

    func validate() throws {
        guard let channel = ChannelName(rawValue: channel) else { throw ChannelName.invalid }
        try TextRules.check(externalId, field: "external_id", invalid: .invalidExternalID, lengths: 1...200)
        // The phone channel holds E.164 numbers only: it is what unifies a person's channels.
        if channel == .phone, (try? PhoneNumber(externalId))?.e164 != externalId {
            throw StoreError(.invalid, .invalidExternalID, "a phone identity is an E.164 number such as +8613800138000")
        }
    }
}

/// Finds members by identity and creates them on first sight. (The claim API finds its member
/// by phone and channel identity in SQL, in `claim_member`: see db/functions/claim_member.sql.)
public struct MemberStore: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The member holding `identity`, created (with the identity) if there is none.
    /// Two concurrent first sightings of one identity end with one member.
    public func findOrCreate(_ identity: Identity) async throws -> UUID {
        try identity.validate()
        return try await database.withConnection { try await findOrCreate(identity, on: $0) }
    }

    func findOrCreate(_ identity: Identity, on connection: PostgresConnection) async throws -> UUID {
        if let existing = try await memberID(of: identity, on: connection) { return existing }
        // The identity goes in first, pointing at a new member id; the member row follows in
        // the same statement (foreign keys are checked at its end). If another request holds the
        // identity already, neither row is written and the winner is read back.
        let rows = try await connection.query(
            """
            WITH linked AS (
                INSERT INTO member_identities (channel, external_id, member_id)
                VALUES (\(identity.channel), \(identity.externalId), \(UUID()))
                ON CONFLICT DO NOTHING RETURNING member_id)
            INSERT INTO members (id) SELECT member_id FROM linked RETURNING id
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        guard let winner = try await memberID(of: identity, on: connection) else {
            throw StoreError(.conflict, .memberNotCreated, "the member could not be created; try again")
        }
        return winner
    }

    func memberID(of identity: Identity, on connection: PostgresConnection) async throws -> UUID? {
        let rows = try await connection.query(
            """
            SELECT member_id FROM member_identities WHERE channel = \(identity.channel) AND external_id = \(identity.externalId)
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    /// A member's balance, for pages.
    public func balance(of member: UUID) async throws -> Int64 {
        let rows = try await database.query("SELECT balance FROM members WHERE id = \(member)", logger: logger)
        for try await balance in rows.decode(Int64.self) { return balance }
        throw StoreError(.notFound, .memberNotFound, "no member \(member)")
    }
}
