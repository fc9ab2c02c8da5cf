import Foundation
import Logging
import PostgresNIO

/// A member as the brand's CRM sees it.
public struct MemberProfile: Sendable, Codable, Equatable {
    public struct LinkedIdentity: Sendable, Codable, Equatable {
        public var channel: String
        public var externalId: String
        public var linkedAt: Date
    }

    /// Points that expire within 30, 60 and 90 days (each includes the shorter spans).
    public struct Expiring: Sendable, Codable, Equatable {
        public var next30Days: Int64
        public var next60Days: Int64
        public var next90Days: Int64
    }

    /// Claims of one product by this member.
    public struct ProductCount: Sendable, Codable, Equatable {
        public var sku: String
        public var name: String
        public var claims: Int64
    }

    public var id: UUID
    public var balance: Int64
    public var lifetimeEarned: Int64
    public var lifetimeRedeemed: Int64
    public var lifetimeExpired: Int64
    public var tier: String?
    public var createdAt: Date
    public var identities: [LinkedIdentity]
    /// Members merged into this one; their history is part of this member's.
    public var mergedFrom: [UUID]
    public var expiring: Expiring
    public var firstScanAt: Date?
    public var lastScanAt: Date?
    public var claims: Int64
    /// Claims by channel (`web` for the landing page, else the channel that claimed).
    public var claimsByChannel: [String: Int64]
    /// Claims by the region printed on the batch (`unknown` for batches without one).
    public var claimsByRegion: [String: Int64]
    public var claimsByProduct: [ProductCount]
}

/// Where a member id leads: the member (or what was read of it), or the survivor it was merged into.
public enum Lookup<Member: Sendable>: Sendable {
    case member(Member)
    case merged(into: UUID)
}

extension Lookup: Equatable where Member: Equatable {}

/// Looks members up for the CRM.
///
/// The reads of the member routes (`profile(of:key:)`, `find(_:key:)`, and
/// `MemberLedger.entries`) are one statement each, which checks the API key again (revoked or
/// expired at that instant: `APIKeyRejected`, whatever the server's cache believes; see
/// `APIKeyCache`) and finds out whether the member was merged away. The profile reads the
/// member's rollups (db/migrations/0011_member_rollups.sql), so its cost does not grow with the
/// member's history.
public struct MemberDirectory: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Whether `id` is a member, or was one and was merged; 404 otherwise.
    public func lookup(_ id: UUID) async throws -> Lookup<UUID> {
        let rows = try await database.query("SELECT merged_into FROM members WHERE id = \(id)", logger: logger)
        for try await merged in rows.decode(UUID?.self) {
            return merged.map { .merged(into: $0) } ?? .member(id)
        }
        throw Self.notFound(id)
    }

    /// The profile of the member holding `identity` (phone numbers are normalised first), read
    /// under the API key `key`.
    public func find(_ identity: Identity, key: UUID) async throws -> MemberProfile {
        try await find(identity, checking: key)
    }

    /// The profile of member `id`, or the survivor it was merged into, read under the API key `key`.
    public func profile(of id: UUID, key: UUID) async throws -> Lookup<MemberProfile> {
        try await profile(of: id, checking: key)
    }

    /// The same reads for the brand console, whose gate checked the staff session: no API key.
    public func find(_ identity: Identity) async throws -> MemberProfile {
        try await find(identity, checking: nil)
    }

    public func profile(of id: UUID) async throws -> Lookup<MemberProfile> {
        try await profile(of: id, checking: nil)
    }

    private func find(_ identity: Identity, checking key: UUID?) async throws -> MemberProfile {
        let identity = try IdentityLinks.normalised(identity)
        let statement = MemberProfileStatement(key: key, identity: identity)
        // Identities belong to members not merged away: a merge moves them to the survivor.
        guard case .member(let profile)? = try await statement.read(from: database, logger: logger) else {
            throw StoreError(.notFound, .memberNotFound, "no member has \(identity.channel) \(identity.externalId)")
        }
        return profile
    }

    private func profile(of id: UUID, checking key: UUID?) async throws -> Lookup<MemberProfile> {
        guard let found = try await MemberProfileStatement(key: key, member: id).read(from: database, logger: logger) else {
            throw Self.notFound(id)
        }
        return found
    }

    static func notFound(_ id: UUID) -> StoreError {
        StoreError(.notFound, .memberNotFound, "no member \(id.uuidString.lowercased())")
    }
}
