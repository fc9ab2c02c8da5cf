import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// `/api/v1/webhooks`: subscriptions to events, their deliveries, and replays.
struct WebhookController: APIController {
    let subscriptions: WebhookSubscriptionStore
    let deliveries: WebhookDeliveryStore
    let idempotency: IdempotencyStore

    /// What `POST /webhooks/{id}/replay` takes: which deliveries to send again (only dead letters).
    struct ReplayRequest: Decodable {
        var status: String?
    }

    struct ReplayResult: Encodable {
        let replayed: Int
    }

    init(_ dependencies: Dependencies) {
        subscriptions = dependencies.subscriptions
        deliveries = dependencies.deliveries
        idempotency = dependencies.idempotency
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.post, "/api/v1/webhooks", scope: .admin, Self.createWebhook),
        APIOperation(.get, "/api/v1/webhooks", scope: .admin, Self.listWebhooks),
        APIOperation(.get, "/api/v1/webhooks/{id}", scope: .admin, Self.getWebhook),
        APIOperation(.patch, "/api/v1/webhooks/{id}", scope: .admin, Self.updateWebhook),
        APIOperation(.delete, "/api/v1/webhooks/{id}", scope: .admin, Self.deleteWebhook),
        APIOperation(.get, "/api/v1/webhooks/{id}/deliveries", scope: .admin, Self.listWebhookDeliveries),
        APIOperation(.post, "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay", scope: .admin, Self.replayWebhookDelivery),
        APIOperation(.post, "/api/v1/webhooks/{id}/replay", scope: .admin, Self.replayWebhookDeadLetters),
    ]

    func createWebhook(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await create(request, context: context)
    }

    func listWebhooks(_: Request, _ context: AppRequestContext) async throws -> Response {
        try .json(Page(items: try await subscriptions.list(), nextCursor: nil), context: context)
    }

    func getWebhook(_: Request, _ context: AppRequestContext) async throws -> Response {
        try .json(try await subscriptions.get(id: try context.parameters.subscriptionID()), context: context)
    }

    func updateWebhook(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.subscriptionID()
        let fields = try await request.decode(as: WebhookSubscriptionFields.self, context: context)
        return try .json(try await subscriptions.update(id: id, fields), context: context)
    }

    func deleteWebhook(_: Request, _ context: AppRequestContext) async throws -> Response {
        try await subscriptions.delete(id: try context.parameters.subscriptionID())
        return Response(status: .noContent)
    }

    func listWebhookDeliveries(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.subscriptionID()
        let limit = try request.integer("limit", in: 1...Int64(WebhookDeliveryStore.maxPageSize), invalid: .invalidLimit) ?? 50
        let cursor = try request.integer("cursor", in: 1...Int64.max, invalid: .invalidCursor)
        let status = try request.query("status", invalid: .invalidStatus).map { text in
            guard let status = WebhookDelivery.Status(rawValue: text) else {
                throw APIError.badRequest(.invalidStatus, "status must be pending, delivered or dead")
            }
            return status
        }
        let items = try await deliveries.list(subscription: id, status: status, before: cursor, limit: Int(limit))
        let next = items.count == Int(limit) ? items.last.map { String($0.id) } : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    func replayWebhookDelivery(_: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.subscriptionID()
        let delivery = try context.parameters.id("delivery_id", what: "delivery", notFound: .deliveryNotFound)
        return try .json(try await deliveries.replay(subscription: id, delivery: delivery), context: context)
    }

    func replayWebhookDeadLetters(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.subscriptionID()
        let body = try await request.jsonBody(upTo: context.maxUploadSize)
        let replay = body.isEmpty ? ReplayRequest() : try context.requestDecoder.decode(ReplayRequest.self, from: body)
        guard (replay.status ?? "dead") == "dead" else {
            throw APIError(
                .unprocessableContent, .invalidStatus, "only dead letters are replayed in bulk (status: dead); replay others one by one")
        }
        return try .json(ReplayResult(replayed: try await deliveries.replayDead(subscription: id)), context: context)
    }

    /// Creates a subscription. An Idempotency-Key is optional: with one, a retry returns the
    /// first answer instead of subscribing twice, but without the secret. The secret is shown
    /// once, in the first answer, and never stored with the answer kept for retries.
    private func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let key = try request.idempotencyKey(requiredFor: nil)
        let bytes = try await request.jsonBody(upTo: context.maxUploadSize)
        let fields = try context.requestDecoder.decode(WebhookSubscriptionFields.self, from: bytes)
        guard let key else {
            return try .json(try await subscriptions.create(fields), status: .created, context: context)
        }
        let hash = IdempotencyStore.requestHash(method: "POST", path: "/api/v1/webhooks", body: bytes)
        let encoder = context.responseEncoder
        var created: NewWebhookSubscription?
        let (recorded, replayed) = try await idempotency.perform(actor: context.apiKey!.actor, key: key, requestHash: hash) { tx in
            let subscription = try await subscriptions.create(fields, on: tx)
            created = subscription
            // Kept for retries: the subscription without its secret.
            return RecordedResponse(status: 201, body: Array(try encoder.encode(subscription.subscription)))
        }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if replayed { headers[.idempotentReplayed] = "true" }
        let body: [UInt8]
        if let created {
            body = Array(try encoder.encode(created))
        } else {
            // A replay: the subscription as first answered, never a secret (answers stored
            // before secrets were left out of them still had one).
            let subscription = try context.requestDecoder.decode(WebhookSubscription.self, from: Data(recorded.body))
            body = Array(try encoder.encode(subscription))
        }
        return Response(status: .init(code: recorded.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Parameters {
    /// The `{id}` of a webhook subscription; anything but a UUID is a 404.
    func subscriptionID() throws -> UUID {
        guard let text = get("id"), let id = UUID(uuidString: text) else {
            throw APIError(.notFound, .webhookNotFound, "no webhook subscription \(get("id") ?? "")")
        }
        return id
    }
}
