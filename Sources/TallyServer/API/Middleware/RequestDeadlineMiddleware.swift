import Hummingbird
import TallyCore

/// Gives every API request a deadline for its database work (`TALLY_API_DEADLINE`) and a
/// `CommitGate`, so that a request never waits on PostgreSQL for longer, and its answer at the
/// deadline says truly whether anything may have been written (503 `database_unavailable` or
/// `outcome_unknown`; see `APIErrorMiddleware`). The steps that touch the database (the API key
/// lookup, the operation) run through `AppRequestContext.withinDeadline`.
struct RequestDeadlineMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let duration: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.deadline = .now + duration
        return try await CommitGate.$current.withValue(CommitGate()) { try await next(request, context) }
    }
}
