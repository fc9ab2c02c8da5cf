import Foundation
import Logging
import PostgresNIO

/// One event's delivery to one subscription, as the API shows it.
public struct WebhookDelivery: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending, delivered, dead
    }

    public var id: Int64
    public var eventId: Int64
    public var eventType: String
    public var status: Status
    /// POSTs tried so far (a replay starts again from 0).
    public var attempts: Int
    /// When the next try is due; only while pending.
    public var nextAttemptAt: Date?
    /// The receiver's last HTTP status, if it answered.
    public var lastStatus: Int?
    /// Why the last try failed (a status, a timeout, a refused connection).
    public var lastError: String?
    public var deliveredAt: Date?
    public var createdAt: Date
}

/// Deliveries as the API reads and replays them. The delivery service works them through
/// `WebhookQueue`.
public struct WebhookDeliveryStore: Sendable {
    public static let maxPageSize = 200

    let database: PostgresClient
    let logger: Logger
    let subscriptions: WebhookSubscriptionStore

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
        self.subscriptions = WebhookSubscriptionStore(database: database, logger: logger)
    }

    /// A subscription's deliveries, newest first, before `before` (a cursor: the last id of the previous page).
    public func list(subscription: UUID, status: WebhookDelivery.Status?, before: Int64?, limit: Int) async throws -> [WebhookDelivery] {
        _ = try await subscriptions.get(id: subscription) // 404 for an unknown or deleted one
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns) FROM webhook_deliveries d JOIN outbox_events e ON e.member_id = d.member_id AND e.id = d.event_id
            WHERE d.subscription_id = \(subscription)
              AND (\(status?.rawValue)::text IS NULL OR d.status = \(status?.rawValue))
              AND (\(before)::bigint IS NULL OR d.id < \(before))
            ORDER BY d.id DESC LIMIT \(min(max(limit, 1), Self.maxPageSize))
            """, logger: logger)
        var items: [WebhookDelivery] = []
        for try await row in rows { items.append(try Self.decode(row)) }
        return items
    }

    /// Deliveries of every live subscription (or of `subscription`), newest first, by status
    /// and event type when given, before `before` (the last id of the previous page).
    public func recent(
        subscription: UUID?, status: WebhookDelivery.Status?, eventType: String?, before: Int64?, limit: Int
    ) async throws -> [WebhookDeliveryListing] {
        let rows = try await database.query(
            """
            SELECT s.id, s.url, \(unescaped: Self.columns) FROM webhook_deliveries d
            JOIN outbox_events e ON e.member_id = d.member_id AND e.id = d.event_id
            JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.deleted_at IS NULL
            WHERE (\(subscription)::uuid IS NULL OR d.subscription_id = \(subscription))
              AND (\(status?.rawValue)::text IS NULL OR d.status = \(status?.rawValue))
              AND (\(eventType)::text IS NULL OR e.type = \(eventType))
              AND (\(before)::bigint IS NULL OR d.id < \(before))
            ORDER BY d.id DESC LIMIT \(min(max(limit, 1), 10_000))
            """, logger: logger)
        var items: [WebhookDeliveryListing] = []
        for try await (subscriptionID, url, id, eventID, type, status, attempts, next, lastStatus, lastError, deliveredAt, createdAt)
            in rows.decode((UUID, String, Int64, Int64, String, String, Int, Date?, Int?, String?, Date?, Date).self)
        {
            let delivery = Self.delivery(id, eventID, type, status, attempts, next, lastStatus, lastError, deliveredAt, createdAt)
            items.append(WebhookDeliveryListing(subscriptionId: subscriptionID, url: url, delivery: delivery))
        }
        return items
    }

    /// Sends one delivery again (a dead letter, or one the receiver lost): pending, due now,
    /// attempts from 0. One still pending is refused; it is on its way.
    public func replay(subscription: UUID, delivery: Int64) async throws -> WebhookDelivery {
        let logger = self.logger
        // One statement, no row lock taken first: Citus locks rows only in a query on one shard,
        // and the delivery's shard (its member) is not known here.
        try CommitGate.willCommit() // a write outside a transaction
        let replayed = try await database.query(
            """
            UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = NULL
            FROM outbox_events e, webhook_subscriptions s
            WHERE d.id = \(delivery) AND d.subscription_id = \(subscription) AND d.status <> 'pending'
              AND e.member_id = d.member_id AND e.id = d.event_id AND s.id = d.subscription_id AND s.deleted_at IS NULL
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        var found: WebhookDelivery?
        for try await row in replayed { found = try Self.decode(row) }
        guard let found else {
            let rows = try await database.query(
                """
                SELECT d.status FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
                WHERE d.id = \(delivery) AND d.subscription_id = \(subscription) AND s.deleted_at IS NULL
                """, logger: logger)
            for try await status in rows.decode(String.self) where status == WebhookDelivery.Status.pending.rawValue {
                throw StoreError(
                    .conflict, .deliveryPending, "delivery \(delivery) is still pending: it will be tried again without a replay")
            }
            throw StoreError(.notFound, .deliveryNotFound, "webhook \(subscription.uuidString) has no delivery \(delivery)")
        }
        try await WebhookQueue.wake(database, logger: logger)
        return found
    }

    /// Sends every dead letter of the subscription again; returns how many.
    public func replayDead(subscription: UUID) async throws -> Int {
        _ = try await subscriptions.get(id: subscription)
        try CommitGate.willCommit() // a write outside a transaction
        let rows = try await database.query(
            """
            WITH replayed AS (
                UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now()
                WHERE subscription_id = \(subscription) AND status = 'dead' RETURNING 1
            ) SELECT count(*)::int FROM replayed
            """, logger: logger)
        var count = 0
        for try await n in rows.decode(Int.self) { count = n }
        if count > 0 { try await WebhookQueue.wake(database, logger: logger) }
        return count
    }

    static let columns = """
        d.id, d.event_id, e.type, d.status, d.attempts,
        CASE WHEN d.status = 'pending' THEN d.next_attempt_at END,
        d.last_status, d.last_error, d.delivered_at, d.created_at
        """

    static func decode(_ row: PostgresRow) throws -> WebhookDelivery {
        let (id, eventID, type, status, attempts, next, lastStatus, lastError, deliveredAt, createdAt) =
            try row.decode((Int64, Int64, String, String, Int, Date?, Int?, String?, Date?, Date).self)
        return delivery(id, eventID, type, status, attempts, next, lastStatus, lastError, deliveredAt, createdAt)
    }

    static func delivery(
        _ id: Int64, _ eventID: Int64, _ type: String, _ status: String, _ attempts: Int, _ next: Date?, _ lastStatus: Int?,
        _ lastError: String?, _ deliveredAt: Date?, _ createdAt: Date
    ) -> WebhookDelivery {
        WebhookDelivery(
            id: id, eventId: eventID, eventType: type, status: WebhookDelivery.Status(rawValue: status) ?? .pending,
            attempts: attempts, nextAttemptAt: next, lastStatus: lastStatus, lastError: lastError,
            deliveredAt: deliveredAt, createdAt: createdAt
        )
    }
}
