import Hummingbird
import Logging
import PostgresNIO
import TallyCore

/// `/healthz`: the process is up. `/readyz`: it can reach its database, so a load
/// balancer should send it traffic. Answers within about two seconds either way.
struct HealthController {
    let database: PostgresClient

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in Self.text(.ok, "ok\n") }
        router.get("/readyz") { _, context -> Response in
            do {
                let logger = context.logger
                try await withDeadline(.seconds(2)) { try await database.query("SELECT 1", logger: logger) }
                return Self.text(.ok, "ready\n")
            } catch {
                context.logger.warning("database not reachable", metadata: ["error": "\(error)"])
                return Self.text(.serviceUnavailable, "database unreachable\n")
            }
        }
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
