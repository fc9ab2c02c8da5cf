import Hummingbird
import Logging
import Metrics
import NIOCore
import PostgresNIO
import TallyCore

/// Builds the Tally HTTP application: the database client, every store once, the routes,
/// and the background services (Services/) that run beside them.
public func buildApplication(_ config: ServerConfig, logger: Logger) throws -> some ApplicationProtocol {
    let database = PostgresClient(
        configuration: try DatabaseURL.configuration(config.databaseURL, maximumConnections: config.databaseConnections),
        backgroundLogger: logger
    )
    let dependencies = Dependencies(config: config, database: database, logger: logger)
    let router = buildRouter(dependencies)
    var app = Application(
        router: router,
        // A connection that sends no complete request part for this long (a half-sent request,
        // an idle keep-alive connection) is closed; a response being written is never cut.
        server: .http1(configuration: .init(idleTimeout: TimeAmount(config.httpIdleTimeout))),
        configuration: .init(address: .hostname(config.hostname, port: config.port), serverName: "Tally"),
        logger: logger
    )
    app.addServices(database, dependencies.scans)
    if config.programmeJobsSeconds > 0 {
        let jobs = ProgrammeJobs(database: database, logger: logger)
        app.addServices(ProgrammeJobsService(jobs: jobs, interval: .seconds(config.programmeJobsSeconds), logger: logger))
    }
    // Webhooks: the delivery service, stopped before the database on shutdown.
    app.addServices(WebhookDispatcher(database: database, settings: config.webhooks, logger: logger))
    return app
}

/// The routes of the JSON API, for checking the OpenAPI contract against what is served:
/// read from the controllers' operation tables, with no server and no database.
public func apiRoutes() -> [APIRoute] {
    APIControllers.routes
}

func buildRouter(_ dependencies: Dependencies) -> Router<AppRequestContext> {
    let deps = dependencies
    let config = dependencies.config
    let router = Router(context: AppRequestContext.self)
    // One count of wrong keys per address for the whole API.
    let throttle = FailedKeyThrottle(config.failedKeys)
    router.addMiddleware {
        RequestIDMiddleware()
        LogRequestsMiddleware(.info)
        MetricsMiddleware()
        // A request under /api that no route takes: 405 with Allow, or 404, after authentication.
        UnroutedAPIMiddleware(
            keys: deps.keys, routes: APIControllers.routes, deadline: config.apiDeadline, throttle: throttle,
            trustForwardedFor: config.trustForwardedFor)
    }
    HealthController(database: deps.database).addRoutes(to: router)
    router.get("/metrics") { _, _ in PrometheusMetrics.response() }
    OpenAPIDocument.addRoutes(to: router)

    let api = router.group("/api")
        .add(middleware: RequestDeadlineMiddleware(duration: config.apiDeadline))
        .add(middleware: APIErrorMiddleware())
    let keyed = api.group().add(
        middleware: APIKeyMiddleware(keys: deps.keys, throttle: throttle, trustForwardedFor: config.trustForwardedFor))
    let cachedKeyed = api.group().add(
        middleware: APIKeyMiddleware(
            keys: deps.keys, cache: APIKeyCache(), throttle: throttle, trustForwardedFor: config.trustForwardedFor))

    // The JSON API: the packaging line, channel claims, the CRM, rewards, webhooks.
    APIControllers.mount(deps, on: keyed, cachedKeyGroup: cachedKeyed)

    // The consumer's pages: the landing page of a code, sign-in, and /me.
    LandingController(config: config, claims: deps.claims, members: deps.members, scans: deps.scans, signer: deps.signer)
        .addRoutes(to: router)
    SignInController(config: config, otp: deps.otp, members: deps.members, sender: deps.codeSender, signer: deps.signer)
        .addRoutes(to: router)
    MeController(
        config: config, accounts: deps.accounts, rewards: deps.rewards, redemptions: deps.redemptions,
        idempotency: deps.idempotency, signer: deps.signer
    ).addRoutes(to: router)

    // The brand console: staff sign-in, reports and the CRM, campaign, catalogue and packaging pages.
    ConsoleControllers.mount(deps, on: router)
    _ = PrometheusMetrics.registry // bootstrap metrics before the first request
    return router
}
