import Foundation
import PostgresNIO

/// Reads `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`
/// (or `postgresql://`) into a PostgresNIO client configuration.
public enum DatabaseURL {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The variable Tally reads its database URL from.
    public static let environmentVariable = "TALLY_DATABASE_URL"

    public static func configuration(_ url: String, maximumConnections: Int = 20) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else { throw Invalid(description: "database URL must look like postgres://user@host:port/database") }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "database URL has no host") }
        guard let user = components.user, !user.isEmpty else { throw Invalid(description: "database URL has no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw Invalid(description: "database URL has no database name") }

        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw Invalid(description: "sslmode must be disable, prefer or require")
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding,
            database: database,
            tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }
}
