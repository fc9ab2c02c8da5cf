import Foundation
import Logging
import PostgresNIO

/// Linking and unlinking a member's channel identities by the CRM.
public struct IdentityLinks: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Links `identity` to `member`; true if it was new, false if the member held it already.
    /// An identity held by another member is a conflict: merge the two instead.
    public func link(_ identity: Identity, to member: UUID) async throws -> Bool {
        let identity = try Self.normalised(identity)
        let logger = self.logger
        return try await database.transaction(logger: logger) { tx in
            try await Self.lockMember(member, on: tx, logger: logger)
            let inserted = try await tx.query(
                """
                INSERT INTO member_identities (channel, external_id, member_id)
                VALUES (\(identity.channel), \(identity.externalId), \(member)) ON CONFLICT DO NOTHING RETURNING true
                """, logger: logger)
            for try await _ in inserted { return true }
            let owner = try await tx.query(
                """
                SELECT member_id FROM member_identities WHERE channel = \(identity.channel) AND external_id = \(identity.externalId)
                """, logger: logger)
            for try await holder in owner.decode(UUID.self) where holder != member {
                throw StoreError(
                    .conflict, .identityConflict,
                    "\(identity.channel) \(identity.externalId) belongs to member \(holder.uuidString.lowercased()); merge the two members instead"
                )
            }
            return false
        }
    }

    /// Unlinks `identity` from `member`. A member keeps at least one identity: without one,
    /// nobody could ever find them again.
    public func unlink(_ identity: Identity, from member: UUID) async throws {
        let identity = try Self.normalised(identity)
        let logger = self.logger
        try await database.transaction(logger: logger) { tx in
            // Under the member's lock, two unlinks cannot each leave the other as the last one.
            try await Self.lockMember(member, on: tx, logger: logger)
            let rows = try await tx.query(
                """
                SELECT (channel = \(identity.channel) AND external_id = \(identity.externalId)) FROM member_identities
                WHERE member_id = \(member)
                """, logger: logger)
            var held = false
            var count = 0
            for try await isThisOne in rows.decode(Bool.self) {
                count += 1
                held = held || isThisOne
            }
            guard held else {
                throw StoreError(.notFound, .identityNotFound, "the member has no \(identity.channel) \(identity.externalId)")
            }
            guard count > 1 else {
                throw StoreError(.conflict, .lastIdentity, "this is the member's only identity; link another one first")
            }
            try await tx.query(
                """
                DELETE FROM member_identities WHERE channel = \(identity.channel) AND external_id = \(identity.externalId) AND member_id = \(member)
                """, logger: logger)
        }
    }

    /// Phone identities are stored in E.164, however they were typed.
    static func normalised(_ identity: Identity) throws -> Identity {
        var identity = identity
        if identity.channel == ChannelName.phone.rawValue {
            do { identity.externalId = try PhoneNumber(identity.externalId).e164 } catch {
                throw StoreError(.invalid, .invalidExternalID, "phone: \(error)")
            }
        }
        try identity.validate()
        return identity
    }

    static func lockMember(_ member: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("SELECT merged_into FROM members WHERE id = \(member) FOR UPDATE", logger: logger)
        for try await merged in rows.decode(UUID?.self) {
            if let merged {
                throw StoreError(
                    .conflict, .memberMerged, "member \(member.uuidString.lowercased()) was merged into \(merged.uuidString.lowercased())")
            }
            return
        }
        throw StoreError(.notFound, .memberNotFound, "no member \(member.uuidString.lowercased())")
    }
}
