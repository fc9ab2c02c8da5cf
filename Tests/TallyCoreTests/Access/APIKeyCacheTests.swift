import Foundation
import Testing

@testable import TallyCore

@Suite("API key cache")
struct APIKeyCacheTests {
    static func key(expiresAt: Date? = nil) -> APIKey {
        APIKey(id: UUID(), name: "k", prefix: "tly_AAAAAAAA", scopes: [.claim], createdAt: Date(), expiresAt: expiresAt, revokedAt: nil)
    }

    @Test("a stored key is found by its secret only, and forgotten when removed")
    func storeAndRemove() {
        let cache = APIKeyCache()
        let key = Self.key()
        cache.store(key, secret: "secret-1")
        #expect(cache.key(secret: "secret-1") == key)
        #expect(cache.key(secret: "secret-2") == nil)
        cache.remove(secret: "secret-1")
        #expect(cache.key(secret: "secret-1") == nil)
    }

    @Test("an entry older than the lifetime, or a key past its expiry, is not used")
    func lifetimeAndExpiry() async throws {
        let cache = APIKeyCache(lifetime: .milliseconds(100))
        cache.store(Self.key(), secret: "old")
        let expiring = Self.key(expiresAt: Date().addingTimeInterval(60))
        cache.store(expiring, secret: "expiring")
        #expect(cache.key(secret: "expiring", now: Date().addingTimeInterval(59)) == expiring)
        #expect(cache.key(secret: "expiring", now: Date().addingTimeInterval(60)) == nil)
        try await Task.sleep(for: .milliseconds(150))
        #expect(cache.key(secret: "old") == nil)
    }

    @Test("a full cache makes room")
    func capacity() {
        let cache = APIKeyCache(capacity: 3)
        for i in 0..<10 { cache.store(Self.key(), secret: "s\(i)") }
        #expect(cache.key(secret: "s9") != nil)
    }
}
