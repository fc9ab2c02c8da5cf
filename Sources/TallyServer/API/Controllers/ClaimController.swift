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
struct ClaimController: APIController {
    let claims: APIClaimStore
    let keyRing: KeyRing

    struct ClaimRequest: Decodable {
        var code: String
        var identity: Identity
        var phone: String?
        var latitude: Double?
        var longitude: Double?
    }

    /// Made once: making a metric looks it up in the registry under a lock.
    static let claimsCounter = Counter(label: "tally_claims_total", dimensions: [("channel", "api")])

    init(_ dependencies: Dependencies) {
        claims = dependencies.apiClaims
        keyRing = dependencies.config.keyRing
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.post, "/api/v1/claims", scope: .claim, keyCheckedByStatement: true, Self.claimCode)
    ]

    // api_claim checks the API key itself, so the key may come from the cache.
    func claimCode(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await claim(request, context: context)
    }

    private func claim(_ request: Request, context: AppRequestContext) async throws -> Response {
        let key = try request.idempotencyKey(requiredFor: "a claim")!
        let bytes = try await request.jsonBody(upTo: context.maxUploadSize)
        let body = try context.requestDecoder.decode(ClaimRequest.self, from: bytes)
        let code = try keyRing.genuineCode(body.code)
        let phone: PhoneNumber?
        do { phone = try body.phone.map { try PhoneNumber($0) } } catch {
            throw APIError(.unprocessableContent, .invalidPhone, "phone: \(error)")
        }
        let apiKey = context.apiKey!
        let claimContext = ClaimContext(
            channel: body.identity.channel, ip: context.remoteAddress?.ipAddress, userAgent: apiKey.name,
            latitude: body.latitude.flatMap { (-90...90).contains($0) ? $0 : nil },
            longitude: body.longitude.flatMap { (-180...180).contains($0) ? $0 : nil }
        )
        let hash = IdempotencyStore.requestHash(method: "POST", path: "/api/v1/claims", body: bytes)
        // One round trip does the rest: api_claim answers with the claim's result (stored with the
        // key), from which the 201 body is written here ({"awards", "balance", "code", "member_id",
        // "outcome": "claimed", "points"}), on a replay too (see APIClaimStore).
        let (answer, replayed) = try await claims.claim(
            .init(
                apiKey: apiKey, key: key, requestHash: hash, code: code, identity: body.identity, phone: phone, context: claimContext
            ))
        if !replayed { Self.claimsCounter.increment() }
        var response: Response
        switch answer {
        case .claimed(let claimed):
            response = Response(
                status: .created, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: try claimed.json))
            )
        case .recorded(let recorded):
            response = Response(
                status: .init(code: recorded.status), headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: recorded.body))
            )
        }
        if replayed { response.headers[.idempotentReplayed] = "true" }
        return response
    }
}
