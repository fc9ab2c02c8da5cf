import Foundation
import Logging
import PostgresNIO

/// A member's identity in one channel: `phone` (E.164), `wechat_unionid`, `tmall`, `jd`, …
public struct Identity: Hashable, Sendable, Codable {
    public var channel: String
    public var externalId: String

    public init(channel: String, externalId: String) {
        self.channel = channel
        self.externalId = externalId
    }

    public static func phone(_ number: PhoneNumber) -> Identity {
        Identity(channel: "phone", externalId: number.e164)
    }

    func validate() throws {
        guard channel.wholeMatch(of: /[a-z][a-z0-9_]{1,31}/) != nil else {
            throw StoreError(.invalid, "invalid_channel", "channel is 2 to 32 lower-case letters, digits or _")
        }
        try TextRules.check(externalId, field: "external_id", lengths: 1...200)
        // The phone channel holds E.164 numbers only: it is what unifies a person's channels.
        if channel == "phone", (try? PhoneNumber(externalId))?.e164 != externalId {
            throw StoreError(.invalid, "invalid_external_id", "a phone identity is an E.164 number such as +8613800138000")
        }
    }
}

/// Finds members by identity and creates them on first sight.
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

    /// The member a trusted channel claims for, by phone (the identity that unifies channels)
    /// and by the channel's own identity:
    /// - both known, to different members: a conflict a CRM merge must resolve;
    /// - one known: that member, and the other identity is linked to it;
    /// - neither known: a new member holding both.
    public func resolve(identity: Identity, phone: PhoneNumber?, on connection: PostgresConnection) async throws -> UUID {
        try identity.validate()
        let byPhone = try await phone.asyncMap { try await memberID(of: .phone($0), on: connection) } ?? nil
        let byIdentity = try await memberID(of: identity, on: connection)
        let member: UUID
        switch (byPhone, byIdentity) {
        case let (phoneMember?, identityMember?) where phoneMember != identityMember:
            throw StoreError(.conflict, "identity_conflict",
                             "\(identity.channel) \(identity.externalId) belongs to another member than this phone; merge them first")
        case (let known?, _), (nil, let known?):
            member = known
        case (nil, nil):
            member = try await findOrCreate(phone.map(Identity.phone) ?? identity, on: connection)
        }
        // Link what is not linked to this member yet (the common case, a known identity and no
        // phone, needs nothing more); a concurrent request may have linked it elsewhere meanwhile.
        var unlinked: [Identity] = byIdentity == member ? [] : [identity]
        if let phone, byPhone != member { unlinked.append(.phone(phone)) }
        for other in unlinked {
            guard try await link(other, to: member, on: connection) == member else {
                throw StoreError(.conflict, "identity_conflict", "\(other.channel) \(other.externalId) was just linked to another member; try again")
            }
        }
        return member
    }

    func findOrCreate(_ identity: Identity, on connection: PostgresConnection) async throws -> UUID {
        if let existing = try await memberID(of: identity, on: connection) { return existing }
        // The identity goes in first, pointing at a new member id; the member row follows in
        // the same statement (foreign keys are checked at its end). If another request holds the
        // identity already, neither row is written and the winner is read back.
        let rows = try await connection.query("""
            WITH linked AS (
                INSERT INTO member_identities (channel, external_id, member_id)
                VALUES (\(identity.channel), \(identity.externalId), \(UUID()))
                ON CONFLICT DO NOTHING RETURNING member_id)
            INSERT INTO members (id) SELECT member_id FROM linked RETURNING id
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        guard let winner = try await memberID(of: identity, on: connection) else {
            throw StoreError(.conflict, "member_not_created", "the member could not be created; try again")
        }
        return winner
    }

    /// Links `identity` to `member` unless it is linked already; returns the member it belongs to.
    func link(_ identity: Identity, to member: UUID, on connection: PostgresConnection) async throws -> UUID {
        try await connection.query("""
            INSERT INTO member_identities (channel, external_id, member_id)
            VALUES (\(identity.channel), \(identity.externalId), \(member)) ON CONFLICT DO NOTHING
            """, logger: logger)
        return try await memberID(of: identity, on: connection) ?? member
    }

    func memberID(of identity: Identity, on connection: PostgresConnection) async throws -> UUID? {
        let rows = try await connection.query("""
            SELECT member_id FROM member_identities WHERE channel = \(identity.channel) AND external_id = \(identity.externalId)
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    /// A member's balance, for pages.
    public func balance(of member: UUID) async throws -> Int64 {
        let rows = try await database.query("SELECT balance FROM members WHERE id = \(member)", logger: logger)
        for try await balance in rows.decode(Int64.self) { return balance }
        throw StoreError(.notFound, "member_not_found", "no member \(member)")
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
