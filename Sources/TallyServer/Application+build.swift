import Hummingbird
import Logging
import Metrics
import PostgresNIO
import TallyCore

/// Builds the Tally HTTP application: routes, database client and services.
public func buildApplication(_ config: ServerConfig, logger: Logger) throws -> some ApplicationProtocol {
    let database = PostgresClient(
        configuration: try DatabaseURL.configuration(config.databaseURL, maximumConnections: config.databaseConnections),
        backgroundLogger: logger
    )
    let (router, _) = buildRouter(config, database: database, logger: logger)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.hostname, port: config.port), serverName: "Tally"),
        logger: logger
    )
    app.addServices(database)
    return app
}

/// The routes of the JSON API, for checking the OpenAPI contract against what is served.
public func apiRoutes(_ config: ServerConfig) throws -> [APIRoute] {
    // The client is never run: building routes does not touch the database.
    let database = PostgresClient(configuration: try DatabaseURL.configuration(config.databaseURL))
    return buildRouter(config, database: database, logger: Logger(label: "tally.routes")).1.all
}

func buildRouter(_ config: ServerConfig, database: PostgresClient, logger: Logger) -> (Router<AppRequestContext>, APIRoutes) {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestIDMiddleware()
        LogRequestsMiddleware(.info)
        MetricsMiddleware()
    }
    HealthController(database: database).addRoutes(to: router)
    router.get("/metrics") { _, _ in PrometheusMetrics.response() }
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
        )
    }

    let api = router.group("/api")
        .add(middleware: APIErrorMiddleware())
        .add(middleware: APIKeyMiddleware(keys: APIKeyStore(database: database, logger: logger)))
    // Unknown paths under /api get the JSON error shape too, whatever the method.
    for method: HTTPRequest.Method in [.get, .post, .put, .patch, .delete] {
        api.on("**", method: method) { _, _ -> Response in throw APIError(.notFound, "not_found", "no such API route") }
    }

    let routes = APIRoutes(router: router, group: api)
    let batches = BatchStore(database: database, logger: logger)
    ProductController(products: ProductStore(database: database, logger: logger)).addRoutes(to: routes)
    BatchController(batches: batches, idempotency: IdempotencyStore(database: database, logger: logger), keyRing: config.keyRing)
        .addRoutes(to: routes)
    ExportController(batches: batches, audit: ExportAudit(database: database, logger: logger), keyRing: config.keyRing, publicHost: config.publicHost)
        .addRoutes(to: routes)
    _ = PrometheusMetrics.registry // bootstrap metrics before the first request
    return (router, routes)
}
