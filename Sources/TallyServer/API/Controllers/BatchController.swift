import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import TallyCodes
import TallyCore

/// `/api/v1/batches`: create (allocating a serial range), read, activate and void.
struct BatchController: APIController {
    let batches: BatchStore
    let idempotency: IdempotencyStore
    let keyRing: KeyRing

    /// What activate and void take: a sub-range by sequence (default: the whole batch).
    struct StateChange: Decodable {
        var from: Int64?
        var count: Int64?
        var reason: String?
    }

    init(_ dependencies: Dependencies) {
        batches = dependencies.batches
        idempotency = dependencies.idempotency
        keyRing = dependencies.config.keyRing
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.post, "/api/v1/batches", scope: .mint, Self.createBatch),
        APIOperation(.get, "/api/v1/batches", scope: .mint, Self.listBatches),
        APIOperation(.get, "/api/v1/batches/{id}", scope: .mint, Self.getBatch),
        APIOperation(.post, "/api/v1/batches/{id}/activate", scope: .mint, Self.activateBatch),
        APIOperation(.post, "/api/v1/batches/{id}/void", scope: .mint, Self.voidBatch),
    ]

    func createBatch(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await create(request, context: context)
    }

    func listBatches(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try request.integer("limit", in: 1...Int64(BatchStore.maxPageSize), invalid: .invalidLimit) ?? 50
        let cursor = try request.integer("cursor", in: 1...Int64.max, invalid: .invalidCursor)
        let sku = try request.sku("sku", invalid: .invalidSKU)
        let items = try await batches.list(before: cursor, limit: Int(limit), sku: sku)
        let next = items.count == Int(limit) ? items.last.map { String($0.id) } : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    func getBatch(_: Request, _ context: AppRequestContext) async throws -> Response {
        try .json(try await batches.get(id: try context.parameters.id("id", what: "batch", notFound: .batchNotFound)), context: context)
    }

    func activateBatch(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await changeState(request, context: context, to: .active)
    }

    func voidBatch(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await changeState(request, context: context, to: .voided)
    }

    /// Creates a batch under the newest key. Idempotency-Key is required: a retry after a lost
    /// answer must return the same batch, never allocate a second range.
    private func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let key = try request.idempotencyKey(requiredFor: "creating a batch")!
        let actor = context.apiKey!.actor
        let bytes = try await request.jsonBody(upTo: context.maxUploadSize)
        let order = try context.requestDecoder.decode(NewBatch.self, from: bytes)
        let hash = IdempotencyStore.requestHash(method: "POST", path: "/api/v1/batches", body: bytes)
        let kid = keyRing.newestKid
        let (recorded, replayed) = try await idempotency.perform(actor: actor, key: key, requestHash: hash) { tx in
            let batch = try await batches.create(order, kid: kid, actor: actor, in: tx)
            return RecordedResponse(status: 201, body: Array(try context.responseEncoder.encode(batch)))
        }
        if !replayed {
            Counter(label: "tally_batches_created_total").increment()
            Counter(label: "tally_codes_allocated_total").increment(by: Int64(order.quantity))
        }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(
            status: HTTPResponse.Status(code: recorded.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: recorded.body))
        )
    }

    private func changeState(_ request: Request, context: AppRequestContext, to state: CodeState) async throws -> Response {
        let id = try context.parameters.id("id", what: "batch", notFound: .batchNotFound)
        // An empty body means the whole batch.
        let body = try await request.jsonBody(upTo: context.maxUploadSize)
        let change = body.isEmpty ? StateChange() : try context.requestDecoder.decode(StateChange.self, from: body)
        let batch = try await batches.changeState(
            batchID: id, to: state, from: change.from, count: change.count, reason: change.reason, actor: context.apiKey!.actor
        )
        return try .json(batch, context: context)
    }
}
