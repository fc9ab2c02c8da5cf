import Hummingbird
import Logging
import PostgresNIO

/// `/healthz`: the process is up. `/readyz`: it can reach its database, so a load
/// balancer should send it traffic. Answers within about two seconds either way.
struct HealthController {
    let database: PostgresClient

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ -> HTTPResponse.Status in .ok }
        router.get("/readyz") { _, context -> Response in
            do {
                let logger = context.logger
                try await withDeadline(.seconds(2)) { try await database.query("SELECT 1", logger: logger) }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
            } catch {
                context.logger.warning("database not reachable", metadata: ["error": "\(error)"])
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "database unreachable\n")))
            }
        }
    }
}
