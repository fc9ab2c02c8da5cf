import Crypto
import Foundation
import Logging
import PostgresNIO

/// A write's first answer, kept so that a retry with the same Idempotency-Key gets it again.
public struct RecordedResponse: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Runs writes at most once per (actor, Idempotency-Key).
///
/// The key's row is inserted first, in the same transaction as the write: a concurrent
/// retry blocks on the primary key until the first commits, then reads its answer. If the
/// write fails, the key's row rolls back with it, and a retry runs the write again.
public struct IdempotencyStore: Sendable {
    public static let maxKeyLength = 200

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// SHA-256 over method, path and body: what makes two requests "the same".
    public static func requestHash(method: String, path: String, body: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Data(method.utf8))
        hasher.update(data: [0])
        hasher.update(data: Data(path.utf8))
        hasher.update(data: [0])
        hasher.update(data: body)
        return Array(hasher.finalize())
    }

    /// Refuses a key that is not 1 to 200 visible ASCII characters (`!` to `~`), before any
    /// database work. Anything else could make two different keys one: an HTTP header's bytes
    /// that are not UTF-8 arrive as U+FFFD, and control characters as spaces.
    public static func check(key: String) throws {
        let bytes = key.utf8
        guard (1...maxKeyLength).contains(bytes.count), bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw StoreError(
                .invalid, .invalidIdempotencyKey,
                "Idempotency-Key has 1 to \(maxKeyLength) visible ASCII characters (letters, digits and punctuation, no spaces), e.g. a UUID"
            )
        }
    }

    /// The refusal of a key already used for another request.
    public static let keyReused = StoreError(.invalid, .idempotencyKeyReused, "this Idempotency-Key was used for a different request")

    /// Performs `write` once; returns its response and whether it is a replay of an earlier one.
    ///
    /// With `apiKey`, the key's row is written (or an earlier answer read) only while that API
    /// key is live, checked in the same statement: a route can then trust a cached key
    /// (`APIKeyCache`), and a key revoked meanwhile gets `APIKeyRejected` and changes nothing.
    public func perform(
        actor: String,
        key: String,
        requestHash: [UInt8],
        apiKey: UUID? = nil,
        write: (PostgresConnection) async throws -> RecordedResponse
    ) async throws -> (response: RecordedResponse, replayed: Bool) {
        try Self.check(key: key)
        let logger = self.logger
        let hashBytes = ByteBuffer(bytes: requestHash)
        return try await database.transaction(logger: logger) { tx in
            let claimed = try await tx.query(
                """
                INSERT INTO idempotency_keys (actor, key, request_hash, status, response)
                SELECT \(actor), \(key), \(hashBytes), 0, ''::bytea WHERE \(apiKey)::uuid IS NULL OR api_key_is_live(\(apiKey))
                ON CONFLICT DO NOTHING RETURNING true
                """, logger: logger)
            var isFirst = false
            for try await _ in claimed { isFirst = true }
            if !isFirst {
                let rows = try await tx.query(
                    """
                    SELECT request_hash, status, response FROM idempotency_keys
                    WHERE actor = \(actor) AND key = \(key) AND (\(apiKey)::uuid IS NULL OR api_key_is_live(\(apiKey)))
                    """, logger: logger)
                for try await (hash, status, body) in rows.decode((ByteBuffer, Int, ByteBuffer).self) {
                    guard Array(buffer: hash) == requestHash else { throw Self.keyReused }
                    return (RecordedResponse(status: status, body: Array(buffer: body)), true)
                }
                // Neither written nor found: the API key is no longer live.
                if apiKey != nil { throw APIKeyRejected() }
            }
            let response = try await write(tx)
            try await tx.query(
                """
                UPDATE idempotency_keys SET status = \(response.status), response = \(ByteBuffer(bytes: response.body))
                WHERE actor = \(actor) AND key = \(key)
                """, logger: logger)
            return (response, false)
        }
    }
}
