import Hummingbird
import TallyCore

/// `/api/v1/programme`: points expiry, tiers and the redemption cancel window.
struct ProgrammeController: APIController {
    let programme: ProgrammeStore

    init(_ dependencies: Dependencies) {
        programme = dependencies.programme
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.get, "/api/v1/programme", scope: .crmRead, Self.getProgramme),
        APIOperation(.put, "/api/v1/programme", scope: .admin, Self.replaceProgramme),
    ]

    func getProgramme(_: Request, _ context: AppRequestContext) async throws -> Response {
        try .json(try await programme.get(), context: context)
    }

    func replaceProgramme(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let rules = try await request.decode(as: Programme.self, context: context)
        return try .json(try await programme.replace(with: rules), context: context)
    }
}
