import Hummingbird
import TallyCore

/// `/api/v1/programme`: points expiry, tiers and the redemption cancel window.
struct ProgrammeController {
    let programme: ProgrammeStore

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/api/v1/programme", scope: .crmRead) { _, context in
            try .json(try await programme.get(), context: context)
        }
        routes.add(.put, "/api/v1/programme", scope: .admin) { request, context in
            let rules = try await request.decode(as: Programme.self, context: context)
            return try .json(try await programme.replace(with: rules), context: context)
        }
    }
}
