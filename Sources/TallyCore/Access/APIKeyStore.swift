import Crypto
import Foundation
import Logging
import PostgresNIO

/// An API key as stored: the secret itself is never kept, only its SHA-256.
public struct APIKey: Sendable, Equatable {
    public let id: UUID
    public let name: String
    /// The public part of the secret (`tly_XXXXXXXX`), safe for logs and listings.
    public let prefix: String
    public let scopes: Set<Scope>
    public let createdAt: Date
    public let expiresAt: Date?
    public let revokedAt: Date?

    /// True when the key grants `scope` (admin grants everything).
    public func allows(_ scope: Scope) -> Bool {
        scopes.contains(scope) || scopes.contains(.admin)
    }

    /// How the key is named in audit records.
    public var actor: String { "key:\(prefix)" }
}

/// A statement refused the API key it was given: revoked or expired by the time it ran.
public struct APIKeyRejected: Error, Sendable {
    public init() {}
}

/// Creates, finds, lists and revokes API keys.
///
/// A secret is `tly_` + 8 public characters + `_` + 43 secret characters (256 random bits,
/// base32). Only a SHA-256 of the whole secret is stored; with that much entropy a slow
/// password hash would add latency to every request and no safety.
public struct APIKeyStore: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Creates a key and returns it with its secret: the only time the secret exists outside the caller.
    public func create(name: String, scopes: Set<Scope>, expiresAt: Date? = nil) async throws -> (APIKey, secret: String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        try TextRules.check(trimmed, field: "name", invalid: .invalidName, lengths: 1...100)
        guard !scopes.isEmpty else { throw StoreError(.invalid, .invalidScopes, "a key needs at least one scope") }
        if let expiresAt, expiresAt <= Date() {
            throw StoreError(.invalid, .invalidExpiry, "the expiry must be in the future")
        }
        let prefix = "tly_" + Self.randomBase32(count: 8)
        let secret = prefix + "_" + Self.randomBase32(count: 43)
        let hash = ByteBuffer(bytes: Self.hash(secret))
        let scopeNames = scopes.map(\.rawValue).sorted()
        try CommitGate.willCommit() // a write outside a transaction
        let rows = try await database.query(
            """
            INSERT INTO api_keys (name, prefix, secret_hash, scopes, expires_at)
            VALUES (\(trimmed), \(prefix), \(hash), \(scopeNames), \(expiresAt))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        for try await row in rows { return (try Self.decode(row), secret) }
        throw StoreError(.conflict, .notCreated, "the key was not created")
    }

    /// The key a presented secret belongs to, if it is known, unrevoked and unexpired.
    public func authenticate(secret: String) async throws -> APIKey? {
        // Reject obviously malformed secrets without a database round trip.
        guard secret.count == 56, secret.hasPrefix("tly_") else { return nil }
        let prefix = String(secret.prefix(12))
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns), secret_hash FROM api_keys WHERE prefix = \(prefix)
            """, logger: logger)
        for try await row in rows {
            let (id, name, prefix, scopes, createdAt, expiresAt, revokedAt, stored) =
                try row.decode((UUID, String, String, [String], Date, Date?, Date?, ByteBuffer).self)
            let key = Self.key(id, name, prefix, scopes, createdAt, expiresAt, revokedAt)
            guard constantTimeEqual(Array(buffer: stored), Self.hash(secret)) else { return nil }
            if key.revokedAt != nil { return nil }
            if let expiresAt = key.expiresAt, expiresAt <= Date() { return nil }
            return key
        }
        return nil
    }

    public func list() async throws -> [APIKey] {
        let rows = try await database.query("SELECT \(unescaped: Self.columns) FROM api_keys ORDER BY created_at", logger: logger)
        var keys: [APIKey] = []
        for try await row in rows { keys.append(try Self.decode(row)) }
        return keys
    }

    /// Revokes a key by its prefix; revoking twice is fine.
    public func revoke(prefix: String) async throws -> APIKey {
        try CommitGate.willCommit() // a write outside a transaction
        // The clock read outside the coalesce: Citus refuses now() in one in an UPDATE of its tables.
        let rows = try await database.query(
            """
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, clock.now) FROM (SELECT now()) AS clock (now)
            WHERE prefix = \(prefix)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        for try await row in rows { return try Self.decode(row) }
        throw StoreError(.notFound, .keyNotFound, "no API key with prefix \(prefix)")
    }

    static let columns = "id, name, prefix, scopes, created_at, expires_at, revoked_at"

    static func decode(_ row: PostgresRow) throws -> APIKey {
        let (id, name, prefix, scopes, createdAt, expiresAt, revokedAt) =
            try row.decode((UUID, String, String, [String], Date, Date?, Date?).self)
        return key(id, name, prefix, scopes, createdAt, expiresAt, revokedAt)
    }

    private static func key(
        _ id: UUID, _ name: String, _ prefix: String, _ scopes: [String], _ createdAt: Date, _ expiresAt: Date?, _ revokedAt: Date?
    ) -> APIKey {
        APIKey(
            id: id, name: name, prefix: prefix, scopes: Set(scopes.compactMap(Scope.init(rawValue:))),
            createdAt: createdAt, expiresAt: expiresAt, revokedAt: revokedAt
        )
    }

    static func hash(_ secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(secret.utf8)))
    }

    static func randomBase32(count: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next() % 32)] })
    }
}
