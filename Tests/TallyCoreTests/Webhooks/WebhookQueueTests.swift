import Foundation
import Logging
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// The delivery queue in PostgreSQL, without a server: leases, fencing, several claimers,
/// and the retry policy's arithmetic.
@Suite("Webhook queue")
struct WebhookQueueTests {
    let logger = TestDatabase.logger

    /// A subscription to member.created, and `members` new members (so as many deliveries).
    private func setUp(_ client: PostgresClient, members: Int) async throws {
        let subscriptions = WebhookSubscriptionStore(database: client, logger: logger)
        _ = try await subscriptions.create(WebhookSubscriptionFields(url: "http://127.0.0.1:9/x", eventTypes: ["member.created"]))
        try await client.query("INSERT INTO members (id) SELECT gen_random_uuid() FROM generate_series(1, \(members))", logger: logger)
    }

    @Test("a claimed delivery is leased: nobody else gets it until the lease runs out, then it is sent again")
    func leaseExpiry() async throws {
        try await TestDatabase.withFresh { client, _ in
            try await setUp(client, members: 1)
            let queue = WebhookQueue(database: client, logger: logger)
            let first = try await queue.claim(limit: 10, lease: .milliseconds(300))
            #expect(first.count == 1 && first.first?.attempt == 1 && first.first?.eventType == "member.created")
            #expect(try await queue.claim(limit: 10, lease: .milliseconds(300)).isEmpty, "leased")
            // The server "died" between POST and recording: the delivery comes due again.
            try await Task.sleep(for: .milliseconds(400))
            let again = try await queue.claim(limit: 10, lease: .seconds(30))
            #expect(again.map(\.deliveryID) == first.map(\.deliveryID))
            #expect(again.first?.attempt == 2)
            #expect(again.first?.payload == first.first?.payload)

            // The first claimer's late outcome is fenced off; the current one's counts.
            try await queue.delivered(try #require(first.first), status: 200)
            #expect(try await status(client) == ["pending"])
            try await queue.failed(try #require(again.first), status: 500, error: "HTTP 500", retryAfter: nil)
            #expect(try await status(client) == ["dead"])
        }
    }

    @Test("claimers running at once never get the same delivery")
    func concurrentClaimers() async throws {
        try await TestDatabase.withFresh { client, _ in
            try await setUp(client, members: 200)
            let queue = WebhookQueue(database: client, logger: logger)
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await queue.claim(limit: 7, lease: .seconds(60))
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.deliveryID)
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claimed.count == 200)
            #expect(Set(claimed).count == 200)
        }
    }

    @Test("the retry policy doubles the wait up to its cap, with at most 20 % jitter")
    func retryPolicy() {
        let policy = WebhookRetryPolicy(maxAttempts: 12, backoff: .seconds(10), maxBackoff: .seconds(3600))
        #expect(
            (1...10).map { policy.nominalDelay(afterAttempt: $0) } == [
                .seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160), .seconds(320),
                .seconds(640), .seconds(1280), .seconds(2560), .seconds(3600),
            ])
        #expect(policy.nominalDelay(afterAttempt: 500) == .seconds(3600))
        #expect(policy.delay(afterAttempt: 1, jitter: 0.8) == .seconds(8))
        for _ in 0..<100 {
            let delay = policy.delay(afterAttempt: 3)
            #expect(delay >= .seconds(32) && delay <= .seconds(48))
        }
        #expect(!policy.isLast(11) && policy.isLast(12))
        #expect(WebhookRetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }

    private func status(_ client: PostgresClient) async throws -> [String] {
        let rows = try await client.query("SELECT status FROM webhook_deliveries ORDER BY id", logger: logger)
        var statuses: [String] = []
        for try await status in rows.decode(String.self) { statuses.append(status) }
        return statuses
    }
}
