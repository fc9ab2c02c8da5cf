import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// A subscription as the create answer gives it.
struct CreatedWebhook: Decodable {
    let id: UUID
    let url: String
    let eventTypes: [String]
    let active: Bool
    let secret: String
}

/// Webhook settings for tests: quick polling and tiny backoffs.
func quickWebhooks(maxAttempts: Int = 5, backoff: Duration = .milliseconds(200), timeout: Duration = .seconds(2)) -> WebhookSettings {
    WebhookSettings(
        retry: WebhookRetryPolicy(maxAttempts: maxAttempts, backoff: backoff, maxBackoff: .seconds(5)),
        timeout: timeout,
        pollInterval: .milliseconds(100)
    )
}

extension TestApp {
    /// Subscribes `url` to `types` as the admin key; fails unless created.
    func subscribe(_ url: String, to types: [String]) async throws -> CreatedWebhook {
        let list = types.map { "\"\($0)\"" }.joined(separator: ", ")
        let response = try await request(.post, "/api/v1/webhooks", as: .admin, json: #"{"url": "\#(url)", "event_types": [\#(list)]}"#)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try decode(CreatedWebhook.self, response)
    }

    /// A new member, written directly (its `member.created` event too, if subscribed).
    func newMember() async throws -> UUID {
        let rows = try await database.query("INSERT INTO members DEFAULT VALUES RETURNING id", logger: TestDatabase.logger)
        for try await id in rows.decode(UUID.self) { return id }
        throw CancellationError()
    }

    /// A manual credit (points > 0) or debit through `adjust_points`, as the CRM makes them.
    func adjust(_ member: UUID, by points: Int64) async throws {
        try await database.query(
            "SELECT outcome FROM adjust_points(\(member), \(points), 'test', 'key:test')", logger: TestDatabase.logger
        )
    }

    /// The subscription's deliveries through the API (newest first).
    func deliveries(_ webhook: UUID, status: String? = nil) async throws -> [WebhookDelivery] {
        struct Page: Decodable { let items: [WebhookDelivery] }
        let query = status.map { "?status=\($0)" } ?? ""
        let response = try await request(.get, "/api/v1/webhooks/\(webhook.uuidString)/deliveries\(query)", as: .admin)
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        return try decode(Page.self, response).items
    }

    /// Waits until the subscription's newest delivery is in `status` (fails after `timeout`); returns it.
    @discardableResult
    func waitForDelivery(_ webhook: UUID, toBe status: WebhookDelivery.Status, timeout: Duration = .seconds(15)) async throws
        -> WebhookDelivery
    {
        try await waitForDeliveries(webhook, count: 1, toBe: status, timeout: timeout)[0]
    }

    /// Waits until the subscription's newest `count` deliveries are all in `status` (fails after
    /// `timeout`); returns them. A receiver may have them all before the service, which sends
    /// them at once, has recorded each answer.
    @discardableResult
    func waitForDeliveries(_ webhook: UUID, count: Int, toBe status: WebhookDelivery.Status, timeout: Duration = .seconds(15))
        async throws -> [WebhookDelivery]
    {
        let deadline = ContinuousClock.now + timeout
        while true {
            let newest = try await deliveries(webhook).prefix(count)
            if newest.count == count, newest.allSatisfy({ $0.status == status }) { return Array(newest) }
            guard ContinuousClock.now < deadline else {
                Issue.record(
                    "the newest \(count) deliveries of \(webhook) not all \(status.rawValue) within \(timeout): \(try await deliveries(webhook))"
                )
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
