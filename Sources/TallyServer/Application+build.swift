import Hummingbird
import Logging
import Metrics
import PostgresNIO
import Crypto
import TallyCore

/// Builds the Tally HTTP application: routes, database client and services.
public func buildApplication(_ config: ServerConfig, logger: Logger) throws -> some ApplicationProtocol {
    let database = PostgresClient(
        configuration: try DatabaseURL.configuration(config.databaseURL, maximumConnections: config.databaseConnections),
        backgroundLogger: logger
    )
    let scans = ScanRecorder(database: database, logger: logger)
    let (router, _) = buildRouter(config, database: database, scans: scans, logger: logger)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.hostname, port: config.port), serverName: "Tally"),
        logger: logger
    )
    app.addServices(database, scans)
    if config.programmeJobsSeconds > 0 {
        let jobs = ProgrammeJobs(database: database, logger: logger)
        app.addServices(ProgrammeJobsService(jobs: jobs, interval: .seconds(config.programmeJobsSeconds), logger: logger))
    }
    // Webhooks: the delivery service, stopped before the database on shutdown.
    app.addServices(WebhookDispatcher(database: database, settings: config.webhooks, logger: logger))
    return app
}

/// The routes of the JSON API, for checking the OpenAPI contract against what is served.
public func apiRoutes(_ config: ServerConfig) throws -> [APIRoute] {
    // The client is never run: building routes does not touch the database.
    let database = PostgresClient(configuration: try DatabaseURL.configuration(config.databaseURL))
    let logger = Logger(label: "tally.routes")
    return buildRouter(config, database: database, scans: ScanRecorder(database: database, logger: logger), logger: logger).1.all
}

func buildRouter(
    _ config: ServerConfig, database: PostgresClient, scans: ScanRecorder, logger: Logger
) -> (Router<AppRequestContext>, APIRoutes) {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestIDMiddleware()
        LogRequestsMiddleware(.info)
        MetricsMiddleware()
    }
    HealthController(database: database).addRoutes(to: router)
    router.get("/metrics") { _, _ in PrometheusMetrics.response() }
    OpenAPIDocument.addRoutes(to: router)

    let keys = APIKeyStore(database: database, logger: logger)
    let api = router.group("/api").add(middleware: APIErrorMiddleware())
    let keyed = api.group().add(middleware: APIKeyMiddleware(keys: keys))
    let cachedKeyed = api.group().add(middleware: APIKeyMiddleware(keys: keys, cache: APIKeyCache()))
    // Unknown paths under /api get the JSON error shape too, whatever the method.
    for method: HTTPRequest.Method in [.get, .post, .put, .patch, .delete] {
        keyed.on("**", method: method) { _, _ -> Response in throw APIError(.notFound, .notFound, "no such API route") }
    }

    let routes = APIRoutes(group: keyed, cachedKeyGroup: cachedKeyed)
    let batches = BatchStore(database: database, logger: logger)
    ProductController(products: ProductStore(database: database, logger: logger)).addRoutes(to: routes)
    BatchController(batches: batches, idempotency: IdempotencyStore(database: database, logger: logger), keyRing: config.keyRing)
        .addRoutes(to: routes)
    ExportController(batches: batches, audit: ExportAudit(database: database, logger: logger), keyRing: config.keyRing, publicHost: config.publicHost)
        .addRoutes(to: routes)
    let signer = SessionSigner(key: config.sessionKey)
    let members = MemberStore(database: database, logger: logger)
    let claims = ClaimStore(database: database, logger: logger, dailyCap: config.dailyClaimCap, timeZone: config.timeZone)
    let apiClaims = APIClaimStore(
        database: database, logger: logger, concurrency: config.claimConnections ?? config.defaultClaimConnections,
        queueLimit: config.claimQueueLimit,
        dailyCap: config.dailyClaimCap, timeZone: config.timeZone
    )
    ClaimController(claims: apiClaims, keyRing: config.keyRing).addRoutes(to: routes)
    CRMRoutes(database: database, config: config, logger: logger).addRoutes(to: routes)
    LandingController(config: config, claims: claims, members: members, scans: scans, signer: signer)
        .addRoutes(to: router)
    let sender: any CodeSender = switch config.codeDelivery {
    case .log: LogCodeSender()
    case .webhook(let url, let secret): WebhookCodeSender(url: url, secret: SymmetricKey(data: secret))
    }
    let otp = OTPStore(database: database, logger: logger, secret: SymmetricKey(data: config.sessionKey))
    SignInController(config: config, otp: otp, members: members, sender: sender, signer: signer).addRoutes(to: router)
    WebhookController(
        subscriptions: WebhookSubscriptionStore(database: database, logger: logger),
        deliveries: WebhookDeliveryStore(database: database, logger: logger),
        idempotency: IdempotencyStore(database: database, logger: logger)
    ).addRoutes(to: routes)
    // Rewards and redemption (issue 6, item 5)
    let rewards = RewardStore(database: database, logger: logger)
    let redemptions = RedemptionStore(database: database, logger: logger)
    RewardController(rewards: rewards).addRoutes(to: routes)
    RedemptionController(redemptions: redemptions, idempotency: IdempotencyStore(database: database, logger: logger))
        .addRoutes(to: routes)
    MeController(
        config: config, accounts: MemberAccountStore(database: database, logger: logger), rewards: rewards,
        redemptions: redemptions, idempotency: IdempotencyStore(database: database, logger: logger), signer: signer
    ).addRoutes(to: router)
    _ = PrometheusMetrics.registry // bootstrap metrics before the first request
    return (router, routes)
}
