import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// `/api/v1/campaigns`: the marketers' promotions. Create, change (each change a new version),
/// schedule, pause, resume and end them, and read their versions and change log; all under
/// the scope `campaigns`.
struct CampaignController: APIController {
    let campaigns: CampaignStore
    let idempotency: IdempotencyStore

    init(_ dependencies: Dependencies) {
        campaigns = dependencies.campaigns
        idempotency = dependencies.idempotency
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.post, "/api/v1/campaigns", scope: .campaigns, Self.createCampaign),
        APIOperation(.get, "/api/v1/campaigns", scope: .campaigns, Self.listCampaigns),
        APIOperation(.get, "/api/v1/campaigns/{id}", scope: .campaigns, Self.getCampaign),
        APIOperation(.patch, "/api/v1/campaigns/{id}", scope: .campaigns, Self.updateCampaign),
        APIOperation(.post, "/api/v1/campaigns/{id}/schedule", scope: .campaigns, Self.scheduleCampaign),
        APIOperation(.post, "/api/v1/campaigns/{id}/pause", scope: .campaigns, Self.pauseCampaign),
        APIOperation(.post, "/api/v1/campaigns/{id}/resume", scope: .campaigns, Self.resumeCampaign),
        APIOperation(.post, "/api/v1/campaigns/{id}/end", scope: .campaigns, Self.endCampaign),
        APIOperation(.get, "/api/v1/campaigns/{id}/versions", scope: .campaigns, Self.listCampaignVersions),
        APIOperation(.get, "/api/v1/campaigns/{id}/changes", scope: .campaigns, Self.listCampaignChanges),
    ]

    /// Creates a draft. An Idempotency-Key is optional, as for webhook subscriptions: with one,
    /// a retry gets the first answer instead of a second draft.
    func createCampaign(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let key = try request.idempotencyKey(requiredFor: nil)
        let actor = context.apiKey!.actor
        let bytes = try await request.jsonBody(upTo: context.maxUploadSize)
        let input = try context.requestDecoder.decode(CampaignInput.self, from: bytes)
        guard let key else {
            return try .json(try await campaigns.create(input, actor: actor), status: .created, context: context)
        }
        let hash = IdempotencyStore.requestHash(method: "POST", path: "/api/v1/campaigns", body: bytes)
        let (recorded, replayed) = try await idempotency.perform(actor: actor, key: key, requestHash: hash) { tx in
            let campaign = try await campaigns.create(input, actor: actor, on: tx)
            return RecordedResponse(status: 201, body: Array(try context.responseEncoder.encode(campaign)))
        }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(status: .init(code: recorded.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: recorded.body)))
    }

    func listCampaigns(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try request.integer("limit", in: 1...Int64(CampaignStore.maxPageSize), invalid: .invalidLimit) ?? 50
        let cursor = try request.integer("cursor", in: 1...Int64.max, invalid: .invalidCursor)
        let status = try request.query("status", invalid: .invalidStatus).map { text in
            guard let status = CampaignStatus(rawValue: text) else {
                throw APIError.badRequest(.invalidStatus, "status is draft, scheduled, live, paused or ended")
            }
            return status
        }
        let items = try await campaigns.list(status: status, before: cursor, limit: Int(limit))
        let next = items.count == Int(limit) ? items.last.map { String($0.id) } : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    func getCampaign(_: Request, _ context: AppRequestContext) async throws -> Response {
        try .json(try await campaigns.get(id: try context.parameters.campaignID()), context: context)
    }

    func updateCampaign(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.campaignID()
        let change = try await request.decode(as: CampaignInput.self, context: context)
        return try .json(try await campaigns.update(id: id, change, actor: context.apiKey!.actor), context: context)
    }

    func scheduleCampaign(_: Request, _ context: AppRequestContext) async throws -> Response {
        try await take(.schedule, context: context)
    }

    func pauseCampaign(_: Request, _ context: AppRequestContext) async throws -> Response {
        try await take(.pause, context: context)
    }

    func resumeCampaign(_: Request, _ context: AppRequestContext) async throws -> Response {
        try await take(.resume, context: context)
    }

    func endCampaign(_: Request, _ context: AppRequestContext) async throws -> Response {
        try await take(.end, context: context)
    }

    func listCampaignVersions(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.campaignID()
        let limit = try request.integer("limit", in: 1...Int64(CampaignStore.maxPageSize), invalid: .invalidLimit) ?? 50
        let cursor = try request.integer("cursor", in: 1...Int64(Int32.max), invalid: .invalidCursor)
        let items = try await campaigns.versions(id: id, before: cursor.map { Int($0) }, limit: Int(limit))
        let next = items.count == Int(limit) ? items.last.map { String($0.version) } : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    func listCampaignChanges(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.campaignID()
        let limit = try request.integer("limit", in: 1...Int64(CampaignStore.maxPageSize), invalid: .invalidLimit) ?? 50
        let cursor = try request.integer("cursor", in: 1...Int64.max, invalid: .invalidCursor)
        let items = try await campaigns.changes(id: id, before: cursor, limit: Int(limit))
        let next = items.count == Int(limit) ? items.last.map { String($0.id) } : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    private func take(_ step: CampaignStep, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.campaignID()
        return try .json(try await campaigns.take(step, id: id, actor: context.apiKey!.actor), context: context)
    }
}

extension Parameters {
    /// The `{id}` of a campaign; anything but a positive whole number is a 404.
    func campaignID() throws -> Int64 {
        try id("id", what: "campaign", notFound: .campaignNotFound)
    }
}
