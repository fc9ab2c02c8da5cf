import Foundation
import Synchronization

/// API keys recently read from the database, by the SHA-256 of their secret, so that a claim
/// needs no lookup of its key before its one statement.
///
/// What the cache says is provisional, never the last word: a route may trust it only if its
/// own statement checks the key again (`api_claim` does, for revocation and expiry at that
/// instant), and any other answer on a cached key waits for a lookup (see `APIKeyMiddleware`).
/// So a key revoked by another process (`tally apikey revoke`, SQL) is refused at once, with no
/// notification to wait for and no listener whose loss could leave the cache trusted.
/// The lifetime bounds how long an entry may be used at all: scopes change only by hand in SQL.
public final class APIKeyCache: Sendable {
    struct Entry {
        let key: APIKey
        let storedAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[[UInt8]: Entry]>([:])
    let lifetime: Duration
    let capacity: Int

    public init(lifetime: Duration = .seconds(60), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The key stored for `secret`, unless it is older than the lifetime or expired by now.
    public func key(secret: String, now: Date = Date()) -> APIKey? {
        let hash = APIKeyStore.hash(secret)
        let entry = entries.withLock { $0[hash] }
        guard let entry, ContinuousClock.now - entry.storedAt < lifetime else { return nil }
        if let expiresAt = entry.key.expiresAt, expiresAt <= now { return nil }
        return entry.key
    }

    /// Remembers a key the database has just confirmed for `secret`.
    public func store(_ key: APIKey, secret: String) {
        let hash = APIKeyStore.hash(secret)
        let now = ContinuousClock.now
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { now - $0.value.storedAt < lifetime }
                if entries.count >= capacity { entries.removeAll() }
            }
            entries[hash] = Entry(key: key, storedAt: now)
        }
    }

    /// Forgets `secret`'s key (the database refused it).
    public func remove(secret: String) {
        let hash = APIKeyStore.hash(secret)
        _ = entries.withLock { $0.removeValue(forKey: hash) }
    }
}
