import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import TallyCodes
import TallyCore

/// `POST /api/v1/claims`: a trusted channel backend (e.g. a WeChat mini-program server)
/// claims a code for a person it knows by a channel identity, optionally with their phone,
/// crediting the same member account as the landing page does.
struct ClaimController {
    let claims: ClaimStore
    let members: MemberStore
    let idempotency: IdempotencyStore
    let keyRing: KeyRing

    struct ClaimRequest: Decodable {
        var code: String
        var identity: Identity
        var phone: String?
        var latitude: Double?
        var longitude: Double?
    }

    struct Claimed: Encodable {
        let outcome = "claimed"
        let code: String
        let memberId: UUID
        let points: Int
        let balance: Int64
    }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.post, "/api/v1/claims", scope: .claim) { request, context in
            try await claim(request, context: context)
        }
    }

    private func claim(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw APIError.badRequest("missing_idempotency_key", "a claim needs an Idempotency-Key header (e.g. a UUID)")
        }
        let bytes = Array(buffer: try await request.body.collect(upTo: context.maxUploadSize))
        let body = try context.requestDecoder.decode(ClaimRequest.self, from: Data(bytes))
        let code = try genuine(body.code)
        let phone: PhoneNumber?
        do { phone = try body.phone.map { try PhoneNumber($0) } } catch {
            throw APIError(.unprocessableContent, "invalid_phone", "phone: \(error)")
        }
        let apiKey = context.apiKey!
        let claimContext = ClaimContext(
            channel: body.identity.channel, ip: context.remoteAddress?.ipAddress, userAgent: apiKey.name,
            latitude: body.latitude.flatMap { (-90...90).contains($0) ? $0 : nil },
            longitude: body.longitude.flatMap { (-180...180).contains($0) ? $0 : nil }
        )
        let hash = IdempotencyStore.requestHash(method: "POST", path: "/api/v1/claims", body: bytes)
        let (recorded, replayed) = try await idempotency.perform(actor: apiKey.actor, key: key, requestHash: hash) { tx in
            let member = try await members.resolve(identity: body.identity, phone: phone, on: tx)
            let outcome = try await claims.claim(code, for: member, context: claimContext, on: tx)
            guard case .claimed(let points, let balance) = outcome else { throw Self.refusal(outcome, member: member) }
            let answer = Claimed(code: code.text, memberId: member, points: points, balance: balance)
            return RecordedResponse(status: 201, body: Array(try context.responseEncoder.encode(answer)))
        }
        if !replayed { Counter(label: "tally_claims_total", dimensions: [("channel", "api")]).increment() }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(status: .init(code: recorded.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: recorded.body)))
    }

    /// The code, if genuine; otherwise a 422 that says what is wrong with it.
    private func genuine(_ text: String) throws -> Code {
        switch keyRing.check(CodeLink.codeText(in: text)) {
        case .valid(let code): return code
        case .malformed(let problem): throw APIError(.unprocessableContent, "malformed_code", "code: \(problem)")
        case .typo: throw APIError(.unprocessableContent, "mistyped_code", "the code's check character does not match: ask the person to re-check it")
        case .unknownKey, .forged: throw APIError(.unprocessableContent, "forged_code", "this code was not issued by the brand")
        }
    }

    private static func refusal(_ outcome: ClaimOutcome, member: UUID) -> StoreError {
        switch outcome {
        case .alreadyClaimed(let by, let at):
            let who = by == member ? "by this member" : "by another member"
            return StoreError(.conflict, "already_claimed", "the code was claimed \(who) at \(ISO8601DateFormatter().string(from: at))")
        case .unknownBatch, .notActive: return StoreError(.conflict, "not_active", "the code is genuine but not active yet")
        case .voided: return StoreError(.conflict, "voided", "the brand has voided this code")
        case .expired: return StoreError(.conflict, "expired", "the time to claim this batch has ended")
        case .dailyCap: return StoreError(.rateLimited, "daily_cap", "this member has reached today's claim limit")
        case .claimed: return StoreError(.conflict, "claimed", "claimed")
        }
    }
}
