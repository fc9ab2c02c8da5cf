import Foundation
import Logging
import PostgresNIO
import TallyCodes

/// A receiver of events: where to POST them, which types it wants, and whether it is on.
public struct WebhookSubscription: Sendable, Equatable, Codable {
    public var id: UUID
    public var url: String
    public var eventTypes: [String]
    public var active: Bool
    public var createdAt: Date
}

/// A new subscription and its signing secret, which is shown this once and never again.
public struct NewWebhookSubscription: Sendable, Encodable {
    public let subscription: WebhookSubscription
    /// 32 random bytes as 64 lower-case hex digits; the HMAC-SHA256 key is these bytes.
    public let secret: String

    public func encode(to encoder: any Encoder) throws {
        try subscription.encode(to: encoder)
        var container = encoder.container(keyedBy: SecretKey.self)
        try container.encode(secret, forKey: .secret)
    }

    private enum SecretKey: String, CodingKey { case secret }
}

/// The fields a client sets on a subscription; nil means "not given" (kept on update).
public struct WebhookSubscriptionFields: Sendable, Decodable {
    public var url: String?
    public var eventTypes: [String]?
    public var active: Bool?

    public init(url: String? = nil, eventTypes: [String]? = nil, active: Bool? = nil) {
        self.url = url
        self.eventTypes = eventTypes
        self.active = active
    }
}

/// Webhook subscriptions. Deleting one is soft (its deliveries stay for the record), and
/// stops its pending deliveries.
public struct WebhookSubscriptionStore: Sendable {
    /// Live (not deleted) subscriptions at most: every event is written once per subscriber,
    /// in the transaction of the change it describes, so this bounds that work.
    public static let maxSubscriptions = 100
    public static let maxURLLength = 2000

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Creates a subscription with a fresh secret, on `connection` (within the caller's transaction).
    public func create(_ fields: WebhookSubscriptionFields, on connection: PostgresConnection) async throws -> NewWebhookSubscription {
        guard let given = fields.url else { throw StoreError(.invalid, .missingURL, "url is required") }
        guard let types = fields.eventTypes else {
            throw StoreError(.invalid, .missingEventTypes, "event_types is required: \(WebhookEventType.listed)")
        }
        let url = try Self.validate(url: given)
        let eventTypes = try WebhookEventType.validate(types)
        let secret = SigningKey.randomBytes()
        // Taken turns at, so that concurrent creates cannot pass the limit together.
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('webhook_subscriptions'))", logger: logger)
        let live = try await connection.query(
            "SELECT count(*)::int FROM webhook_subscriptions WHERE deleted_at IS NULL", logger: logger
        )
        for try await count in live.decode(Int.self) where count >= Self.maxSubscriptions {
            throw StoreError(.conflict, .tooManySubscriptions, "at most \(Self.maxSubscriptions) webhook subscriptions; delete one first")
        }
        let rows = try await connection.query(
            """
            INSERT INTO webhook_subscriptions (url, secret, event_types, active)
            VALUES (\(url), \(ByteBuffer(bytes: secret)), \(eventTypes), \(fields.active ?? true))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        let subscription = try await Self.single(rows)!
        return NewWebhookSubscription(subscription: subscription, secret: Hex.lowercase(secret))
    }

    public func create(_ fields: WebhookSubscriptionFields) async throws -> NewWebhookSubscription {
        try await database.transaction(logger: logger) { try await create(fields, on: $0) }
    }

    /// Live subscriptions, oldest first (there are at most `maxSubscriptions`).
    public func list() async throws -> [WebhookSubscription] {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns) FROM webhook_subscriptions
            WHERE deleted_at IS NULL ORDER BY created_at, id
            """, logger: logger)
        var items: [WebhookSubscription] = []
        for try await row in rows { items.append(try Self.decode(row)) }
        return items
    }

    public func get(id: UUID) async throws -> WebhookSubscription {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns) FROM webhook_subscriptions WHERE id = \(id) AND deleted_at IS NULL
            """, logger: logger)
        guard let subscription = try await Self.single(rows) else { throw Self.notFound(id) }
        return subscription
    }

    /// Changes the given fields. Turning a subscription back on wakes the delivery service for
    /// what waited meanwhile; while it is off, it gets no new events and nothing is sent.
    public func update(id: UUID, _ fields: WebhookSubscriptionFields) async throws -> WebhookSubscription {
        let url = try fields.url.map(Self.validate(url:))
        let eventTypes = try fields.eventTypes.map(WebhookEventType.validate)
        try CommitGate.willCommit() // a write outside a transaction
        let rows = try await database.query(
            """
            UPDATE webhook_subscriptions SET
                url = coalesce(\(url), url),
                event_types = coalesce(\(eventTypes), event_types),
                active = coalesce(\(fields.active), active)
            WHERE id = \(id) AND deleted_at IS NULL
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        guard let subscription = try await Self.single(rows) else { throw Self.notFound(id) }
        if fields.active == true { try await WebhookQueue.wake(database, logger: logger) }
        return subscription
    }

    /// Soft-deletes the subscription: it gets no new events, and its pending deliveries are
    /// closed as dead ("subscription deleted") so that nothing more is sent.
    public func delete(id: UUID) async throws {
        let logger = self.logger
        try await database.transaction(logger: logger) { tx in
            let rows = try await tx.query(
                """
                UPDATE webhook_subscriptions SET deleted_at = now(), active = false
                WHERE id = \(id) AND deleted_at IS NULL RETURNING id
                """, logger: logger)
            var found = false
            for try await _ in rows { found = true }
            guard found else { throw Self.notFound(id) }
            try await tx.query(
                """
                UPDATE webhook_deliveries SET status = 'dead', last_error = 'subscription deleted'
                WHERE subscription_id = \(id) AND status = 'pending'
                """, logger: logger)
        }
    }

    static let columns = "id, url, event_types, active, created_at"

    static func decode(_ row: PostgresRow) throws -> WebhookSubscription {
        let (id, url, types, active, createdAt) = try row.decode((UUID, String, [String], Bool, Date).self)
        return WebhookSubscription(id: id, url: url, eventTypes: types, active: active, createdAt: createdAt)
    }

    static func single(_ rows: PostgresRowSequence) async throws -> WebhookSubscription? {
        for try await row in rows { return try decode(row) }
        return nil
    }

    static func notFound(_ id: UUID) -> StoreError {
        StoreError(.notFound, .webhookNotFound, "no webhook subscription \(id.uuidString)")
    }

    /// An absolute http(s) URL with a host, of sensible length and without spaces or control
    /// characters; returned with its scheme in lower case (schemes are case-insensitive, and the
    /// database keeps them lower case).
    static func validate(url text: String) throws -> String {
        try TextRules.httpURL(text, field: "url", invalid: .invalidURL, maxLength: maxURLLength)
    }
}
