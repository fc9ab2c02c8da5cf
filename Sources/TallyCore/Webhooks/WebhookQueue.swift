import Foundation
import Logging
import PostgresNIO

/// One try of one delivery, leased to the delivery service that claimed it.
public struct WebhookAttempt: Sendable {
    public let deliveryID: Int64
    /// The member the event is about: with the id, the delivery's key.
    public let memberID: UUID
    /// Which try this is (1-based); it also fences the lease: only this try's outcome is recorded.
    public let attempt: Int
    public let eventType: String
    public let url: String
    public let secret: [UInt8]
    /// The event as JSON (`{"id", "type", "created_at", "data"}`), sent as the body.
    public let payload: String
}

/// The deliveries' work queue, in PostgreSQL, safe with several servers at once.
///
/// Claiming a delivery counts the try and leases it, in one statement: its `next_attempt_at`
/// moves past the lease, and the claim commits before anything is sent. Of two servers that
/// pick the same due delivery, the second finds it leased (no longer due) and leaves it.
/// So no connection is held during a POST, and a server that dies between POST and
/// recording leaves the delivery to come due again when the lease runs out: it is sent again
/// (at least once; receivers drop duplicates by event id).
public struct WebhookQueue: Sendable {
    /// The notification channel `emit_event` signals, and replays and resumptions too.
    public static let channel = "tally_webhooks"

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Claims up to `limit` due deliveries of active subscriptions, oldest due first, leased for `lease`.
    public func claim(limit: Int, lease: Duration) async throws -> [WebhookAttempt] {
        let leaseMilliseconds = Self.milliseconds(lease)
        let rows = try await database.query(
            """
            WITH due AS MATERIALIZED (
                SELECT d.member_id, d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND s.active AND s.deleted_at IS NULL
                ORDER BY d.next_attempt_at LIMIT \(limit)
            )
            UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => \(leaseMilliseconds) / 1000.0)
            FROM due, webhook_subscriptions s, outbox_events e
            WHERE d.member_id = due.member_id AND d.id = due.id
              -- Still due once its row is ours: not leased meanwhile by another server. (No FOR
              -- UPDATE SKIP LOCKED: Citus locks rows only in a query on one shard.)
              AND d.status = 'pending' AND d.next_attempt_at <= now()
              AND s.id = d.subscription_id AND e.member_id = d.member_id AND e.id = d.event_id
            RETURNING d.id, d.member_id, d.attempts, e.type, s.url, s.secret, e.payload::text
            """, logger: logger)
        var attempts: [WebhookAttempt] = []
        for try await (id, member, attempt, type, url, secret, payload) in rows.decode(
            (Int64, UUID, Int, String, String, ByteBuffer, String).self)
        {
            attempts.append(
                WebhookAttempt(
                    deliveryID: id, memberID: member, attempt: attempt, eventType: type, url: url, secret: Array(buffer: secret),
                    payload: payload
                ))
        }
        return attempts
    }

    /// Records that the receiver took the delivery (answered 2xx).
    public func delivered(_ attempt: WebhookAttempt, status: Int) async throws {
        try await database.query(
            """
            UPDATE webhook_deliveries
            SET status = 'delivered', delivered_at = now(), last_status = \(status), last_error = NULL
            WHERE member_id = \(attempt.memberID) AND id = \(attempt.deliveryID) AND status = 'pending' AND attempts = \(attempt.attempt)
            """, logger: logger)
    }

    /// Records a failed try: due again after `retryAfter`, or dead when `retryAfter` is nil.
    public func failed(_ attempt: WebhookAttempt, status: Int?, error: String, retryAfter: Duration?) async throws {
        let error = String(error.unicodeScalars.prefix(500).map(Character.init))
        // Two statements rather than now() inside CASE or COALESCE, which Citus refuses in an
        // update of a distributed table.
        guard let retryAfter else {
            try await database.query(
                """
                UPDATE webhook_deliveries SET last_status = \(status), last_error = \(error), status = 'dead'
                WHERE member_id = \(attempt.memberID) AND id = \(attempt.deliveryID) AND status = 'pending' AND attempts = \(attempt.attempt)
                """, logger: logger)
            return
        }
        try await database.query(
            """
            UPDATE webhook_deliveries
            SET last_status = \(status), last_error = \(error),
                next_attempt_at = now() + make_interval(secs => \(Self.milliseconds(retryAfter)) / 1000.0)
            WHERE member_id = \(attempt.memberID) AND id = \(attempt.deliveryID) AND status = 'pending' AND attempts = \(attempt.attempt)
            """, logger: logger)
    }

    /// Tells every delivery service listening that deliveries may be due.
    public static func wake(_ database: PostgresClient, logger: Logger) async throws {
        try await database.query("SELECT pg_notify(\(channel), '')", logger: logger)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        Int64((duration.inSeconds * 1000).rounded())
    }
}
