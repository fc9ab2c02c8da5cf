import Foundation
import HTTPTypes
import Hummingbird
import PostgresNIO
import TallyCore

/// `/api/v1/members`: the CRM's view of members: lookup, profile, ledger, identities,
/// adjustments and merges.
struct MemberController: APIController {
    let directory: MemberDirectory
    let ledger: MemberLedger
    let links: IdentityLinks
    let adjuster: PointsAdjuster
    let merger: MemberMerger
    let idempotency: IdempotencyStore

    struct MergeRequest: Decodable {
        var absorb: UUID
        var reason: String
    }

    init(_ dependencies: Dependencies) {
        directory = dependencies.directory
        ledger = dependencies.ledger
        links = dependencies.links
        adjuster = dependencies.adjuster
        merger = dependencies.merger
        idempotency = dependencies.idempotency
    }

    static let operations: [APIOperation<Self>] = [
        // The reads are one statement each, which checks the API key itself (MemberDirectory).
        APIOperation(.get, "/api/v1/members", scope: .crmRead, keyCheckedByStatement: true, Self.findMember),
        APIOperation(.get, "/api/v1/members/{id}", scope: .crmRead, keyCheckedByStatement: true, Self.getMember),
        APIOperation(.get, "/api/v1/members/{id}/ledger", scope: .crmRead, keyCheckedByStatement: true, Self.getMemberLedger),
        APIOperation(.post, "/api/v1/members/{id}/identities", scope: .crmWrite, Self.linkIdentity),
        APIOperation(.delete, "/api/v1/members/{id}/identities/{channel}/{external_id}", scope: .crmWrite, Self.unlinkIdentity),
        APIOperation(.post, "/api/v1/members/{id}/adjustments", scope: .crmWrite, Self.adjustPoints),
        APIOperation(.post, "/api/v1/members/{id}/merge", scope: .crmWrite, Self.mergeMembers),
    ]

    func findMember(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try .json(try await directory.find(try identity(in: request), key: context.apiKey!.id), context: context)
    }

    func getMember(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (text, id) = try memberID(context)
        let profile = try current(try await directory.profile(of: id, key: context.apiKey!.id), request, path: text)
        return try .json(profile, context: context)
    }

    func getMemberLedger(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (text, id) = try memberID(context)
        let filter = try ledgerFilter(request)
        let items = try current(try await ledger.entries(of: id, filter, key: context.apiKey!.id), request, path: text)
        let next = items.count == filter.limit ? items.last.map { String($0.id) } : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    func linkIdentity(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (text, id) = try memberID(context)
        let member = try current(try await directory.lookup(id), request, path: text)
        let identity = try await request.decode(as: Identity.self, context: context)
        let created = try await links.link(identity, to: member)
        // (Merged meanwhile: the redirect, as for any request that names a merged member.)
        let profile = try current(try await directory.profile(of: member, key: context.apiKey!.id), request, path: text)
        return try .json(profile, status: created ? .created : .ok, context: context)
    }

    func unlinkIdentity(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try await current(request, context)
        let identity = Identity(
            channel: context.parameters.get("channel") ?? "",
            externalId: (context.parameters.get("external_id") ?? "").removingPercentEncoding ?? ""
        )
        try await links.unlink(identity, from: id)
        return Response(status: .noContent)
    }

    func adjustPoints(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try await current(request, context)
        return try await idempotent(request, context) { body, tx in
            let adjustment = try context.requestDecoder.decode(Adjustment.self, from: body)
            let result = try await adjuster.adjust(id, adjustment, actor: context.apiKey!.actor, on: tx)
            return (201, result)
        }
    }

    func mergeMembers(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try await current(request, context)
        return try await idempotent(request, context) { body, tx in
            let merge = try context.requestDecoder.decode(MergeRequest.self, from: body)
            let result = try await merger.merge(merge.absorb, into: id, reason: merge.reason, actor: context.apiKey!.actor, on: tx)
            return (200, result)
        }
    }

    /// The member in the path, if it is current. A member merged into another answers with a
    /// redirect to the same path under the survivor (301 for reads, 308 for writes, so clients
    /// that follow redirects keep their method and body).
    private func current(_ request: Request, _ context: AppRequestContext) async throws -> UUID {
        let (text, id) = try memberID(context)
        return try current(try await directory.lookup(id), request, path: text)
    }

    /// What a read found for the member in the path (`text`): the member's, or the redirect to
    /// its survivor.
    private func current<Found>(_ lookup: Lookup<Found>, _ request: Request, path text: String) throws -> Found {
        switch lookup {
        case .member(let found): return found
        case .merged(let survivor): throw MemberMoved(request: request, from: text, to: survivor)
        }
    }

    /// The member id in the path, as written there and as a UUID; a 404 if it is not one.
    private func memberID(_ context: AppRequestContext) throws -> (text: String, id: UUID) {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError(.notFound, .memberNotFound, "no member \(context.parameters.get("id") ?? "")")
        }
        return (text, id)
    }

    private func identity(in request: Request) throws -> Identity {
        // Their other refusals are 422s (IdentityLinks.normalised): so are these.
        if let phone = try request.query("phone", invalid: .invalidExternalID, status: .unprocessableContent) {
            return Identity(channel: ChannelName.phone.rawValue, externalId: phone)
        }
        guard let channel = try request.query("channel", invalid: .invalidChannel, status: .unprocessableContent),
            let external = try request.query("external_id", invalid: .invalidExternalID, status: .unprocessableContent)
        else {
            throw APIError.badRequest(.missingIdentity, "find a member by ?phone= or by ?channel=&external_id=")
        }
        return Identity(channel: channel, externalId: external)
    }

    private func ledgerFilter(_ request: Request) throws -> LedgerFilter {
        func date(_ name: String, invalid: ErrorCode) throws -> Date? {
            guard let text = try request.query(name, invalid: invalid) else { return nil }
            guard let date = RFC3339.date(from: text) else {
                throw APIError.badRequest(
                    invalid,
                    "\(name) is an RFC 3339 date-time of a real instant, such as 2026-03-01T00:00:00Z or 2026-03-01T08:00:00.5+08:00")
            }
            return date
        }
        return LedgerFilter(
            before: try request.integer("cursor", in: 1...Int64.max, invalid: .invalidCursor),
            kind: try request.query("kind", invalid: .invalidKind, status: .unprocessableContent),
            from: try date("from", invalid: .invalidFrom),
            until: try date("to", invalid: .invalidTo),
            limit: Int(try request.integer("limit", in: 1...Int64(MemberLedger.maxPageSize), invalid: .invalidLimit) ?? 50)
        )
    }

    /// Runs a keyed write: Idempotency-Key required, the answer stored with the write.
    private func idempotent<Answer: Encodable>(
        _ request: Request, _ context: AppRequestContext,
        write: ([UInt8], PostgresConnection) async throws -> (status: Int, answer: Answer)
    ) async throws -> Response {
        let key = try request.idempotencyKey(requiredFor: "this write")!
        let bytes = try await request.jsonBody(upTo: context.maxUploadSize)
        let hash = IdempotencyStore.requestHash(method: request.method.rawValue, path: request.uri.path, body: bytes)
        let (recorded, replayed) = try await idempotency.perform(actor: context.apiKey!.actor, key: key, requestHash: hash) { tx in
            let (status, answer) = try await write(bytes, tx)
            return RecordedResponse(status: status, body: Array(try context.responseEncoder.encode(answer)))
        }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(status: .init(code: recorded.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: recorded.body)))
    }
}
