import Hummingbird
import TallyCore

/// `/api/v1/rewards`: the rewards catalogue. The CRM (`crm:write`) keeps it; whoever redeems
/// (`redeem`) reads it.
struct RewardController: APIController {
    let rewards: RewardStore

    init(_ dependencies: Dependencies) {
        rewards = dependencies.rewards
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.post, "/api/v1/rewards", scope: .crmWrite, Self.createReward),
        APIOperation(.get, "/api/v1/rewards", scope: .redeem, Self.listRewards),
        APIOperation(.get, "/api/v1/rewards/{sku}", scope: .redeem, Self.getReward),
        APIOperation(.patch, "/api/v1/rewards/{sku}", scope: .crmWrite, Self.updateReward),
    ]

    func createReward(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let new = try await request.decode(as: NewReward.self, context: context)
        return try .json(try await rewards.create(new), status: .created, context: context)
    }

    func listRewards(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try request.integer("limit", in: 1...Int64(RewardStore.maxPageSize), invalid: .invalidLimit) ?? 50
        let items = try await rewards.list(
            after: try request.sku("cursor", invalid: .invalidCursor), limit: Int(limit), activeNow: try Self.activeFilter(request),
            // A channel that breaks the rule is a 422 (RewardStore.list), as it is in a body.
            channel: try request.query("channel", invalid: .invalidChannel, status: .unprocessableContent)
        )
        let next = items.count == Int(limit) ? items.last?.sku : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    func getReward(_: Request, _ context: AppRequestContext) async throws -> Response {
        try .json(try await rewards.get(sku: context.parameters.get("sku") ?? ""), context: context)
    }

    func updateReward(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let patch = try await request.decode(as: RewardPatch.self, context: context)
        return try .json(try await rewards.update(sku: context.parameters.get("sku") ?? "", patch), context: context)
    }

    /// `?active=true` keeps the rewards inside their window now; `false` or no parameter, all.
    static func activeFilter(_ request: Request) throws -> Bool {
        switch try request.query("active", invalid: .invalidActive) {
        case nil, "false": return false
        case "true": return true
        default: throw APIError.badRequest(.invalidActive, "active must be true or false")
        }
    }
}
