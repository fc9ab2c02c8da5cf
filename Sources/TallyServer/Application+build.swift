import Hummingbird
import Logging
import PostgresNIO
import TallyCore

public typealias AppRequestContext = BasicRequestContext

/// Builds the Tally HTTP application: routes, database client and services.
public func buildApplication(_ config: ServerConfig, logger: Logger) throws -> some ApplicationProtocol {
    let database = PostgresClient(
        configuration: try DatabaseURL.configuration(config.databaseURL, maximumConnections: config.databaseConnections),
        backgroundLogger: logger
    )
    let router = buildRouter(database: database)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.hostname, port: config.port), serverName: "Tally"),
        logger: logger
    )
    app.addServices(database)
    return app
}

func buildRouter(database: PostgresClient) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        LogRequestsMiddleware(.info)
    }
    HealthController<AppRequestContext>(database: database).addRoutes(to: router)
    return router
}
