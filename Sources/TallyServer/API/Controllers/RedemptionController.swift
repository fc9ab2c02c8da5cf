import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import TallyCore

/// Redemptions of rewards for members (scope `redeem`): redeem with an Idempotency-Key, list a
/// member's redemptions, cancel one within the programme's window.
struct RedemptionController: APIController {
    let redemptions: RedemptionStore
    let idempotency: IdempotencyStore

    struct RedeemRequest: Decodable {
        /// The reward's SKU.
        var reward: String
        var quantity: Int
        /// The channel the member redeems through; `api` when not given.
        var channel: String?
    }

    struct CancelRequest: Decodable {
        var reason: String
    }

    init(_ dependencies: Dependencies) {
        redemptions = dependencies.redemptions
        idempotency = dependencies.idempotency
    }

    static let operations: [APIOperation<Self>] = [
        // Its statements check the key again (IdempotencyStore), so a cached key is enough.
        APIOperation(.post, "/api/v1/members/{id}/redemptions", scope: .redeem, keyCheckedByStatement: true, Self.redeemReward),
        APIOperation(.get, "/api/v1/members/{id}/redemptions", scope: .redeem, Self.listMemberRedemptions),
        APIOperation(.post, "/api/v1/redemptions/{id}/cancel", scope: .redeem, Self.cancelRedemption),
    ]

    func redeemReward(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await redeem(request, context: context)
    }

    func listMemberRedemptions(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let member = try Self.memberID(context)
        let limit = try request.integer("limit", in: 1...Int64(RedemptionStore.maxPageSize), invalid: .invalidLimit) ?? 50
        let cursor = try request.integer("cursor", in: 1...Int64.max, invalid: .invalidCursor)
        let (items, next) = try await redemptions.list(member: member, before: cursor, limit: Int(limit))
        return try .json(Page(items: items, nextCursor: next.map(String.init)), context: context)
    }

    func cancelRedemption(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError(.notFound, .redemptionNotFound, "no redemption \(context.parameters.get("id") ?? "")")
        }
        let body = try await request.decode(as: CancelRequest.self, context: context)
        switch try await redemptions.cancel(redemption: id, reason: body.reason, actor: context.apiKey!.actor) {
        case .cancelled(let redemption):
            Counter(label: "tally_redemptions_cancelled_total").increment()
            return try .json(redemption, context: context)
        case .alreadyCancelled:
            throw APIError(.conflict, .alreadyCancelled, "this redemption was cancelled already")
        case .windowClosed(let redemption):
            let until = redemption.cancellableUntil.map { " at " + RFC3339.string(from: $0) } ?? ""
            throw APIError(.conflict, .windowClosed, "the time to cancel this redemption ended\(until)")
        }
    }

    /// Redeems once per Idempotency-Key: a retry gets the first answer and debits nothing more.
    /// A refusal records nothing, key included, so a retry after topping up can succeed.
    private func redeem(_ request: Request, context: AppRequestContext) async throws -> Response {
        let member = try Self.memberID(context)
        let key = try request.idempotencyKey(requiredFor: "a redemption")!
        let bytes = try await request.jsonBody(upTo: context.maxUploadSize)
        let body = try context.requestDecoder.decode(RedeemRequest.self, from: bytes)
        let channel = body.channel ?? ChannelName.api.rawValue
        let actor = context.apiKey!.actor
        let hash = IdempotencyStore.requestHash(method: "POST", path: request.uri.path, body: bytes)
        let apiKey = context.apiKey!.id
        let (recorded, replayed) = try await idempotency.perform(actor: actor, key: key, requestHash: hash, apiKey: apiKey) { tx in
            let outcome = try await redemptions.redeem(
                member: member, sku: body.reward, quantity: body.quantity, channel: channel, actor: actor, on: tx
            )
            switch outcome {
            case .redeemed(let redemption):
                return RecordedResponse(status: 201, body: Array(try context.responseEncoder.encode(redemption)))
            case .refused(let refusal, let balance):
                throw refusal.error(sku: body.reward, quantity: body.quantity, channel: channel, balance: balance)
            }
        }
        if !replayed { Counter(label: "tally_redemptions_total", dimensions: [("channel", "api")]).increment() }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(status: .init(code: recorded.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: recorded.body)))
    }

    /// The `{id}` of a member path; anything but a UUID names no member.
    static func memberID(_ context: AppRequestContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError(.notFound, .memberNotFound, "no member \(context.parameters.get("id") ?? "")")
        }
        return id
    }
}
