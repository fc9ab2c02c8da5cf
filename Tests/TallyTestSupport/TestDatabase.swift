import Foundation
import Logging
import PostgresNIO
import TallyCore

/// A fresh PostgreSQL database for one test, dropped afterwards: a copy of the migrated
/// template (see `TemplateDatabase`), or empty.
///
/// Connects to the cluster named by `TALLY_TEST_DATABASE_URL` (default: the local
/// cluster that `ops/db start` runs on port 54329). With `TALLY_TEST_CITUS_WORKERS`, that is a
/// Citus coordinator and each test's database is made on every node and distributed (see
/// `CitusTestCluster`): every node has its copy of each test database.
public enum TestDatabase {
    public static let logger = Logger(label: "tally.test")

    public static var adminURL: String {
        ProcessInfo.processInfo.environment["TALLY_TEST_DATABASE_URL"]
            ?? "postgres://tally@127.0.0.1:54329/postgres?sslmode=disable"
    }

    /// `db` of this checkout: its migrations and functions (see `Schema`).
    public static var schemaDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("db").path
    }

    public static func url(database: String) -> String {
        var components = URLComponents(string: adminURL)!
        components.path = "/" + database
        return components.string!
    }

    /// Runs `body` against a new database: migrated (a copy of the template), or empty
    /// with `migrated: false`.
    public static func withFresh<T: Sendable>(
        migrated: Bool = true,
        _ body: @Sendable (_ client: PostgresClient, _ url: String) async throws -> T
    ) async throws -> T {
        let name = "tally_t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let url = url(database: name)
        if migrated {
            try await createCopy(name)
        } else if let cluster = CitusTestCluster.fromEnvironment {
            try await cluster.create(name)
        } else {
            try await admin("CREATE DATABASE \(name)")
        }
        do {
            let client = PostgresClient(configuration: try DatabaseURL.configuration(url, maximumConnections: 10))
            let result = try await client.whileRunning { client in
                try await body(client, url)
            }
            try await drop(name)
            return result
        } catch {
            try? await drop(name)
            throw error
        }
    }

    private static func drop(_ name: String) async throws {
        if let cluster = CitusTestCluster.fromEnvironment {
            try await cluster.drop(name)
        } else {
            try await onEveryNode("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    /// Runs `body` again while a database it copies or drops is in use ("being accessed by other
    /// users", 55006), for up to 5 s: on Citus a node's maintenance daemon connects to each
    /// database now and then, even just as FORCE has ended the other sessions.
    static func whileInUse(_ body: () async throws -> Void) async throws {
        for attempt in 1... {
            do {
                return try await body()
            } catch  where DatabaseError(error)?.sqlState == "55006" && attempt < 20 {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Runs one statement on the maintenance database of the cluster's one node, or of every
    /// node of a Citus cluster (where each node has its own copy of each database).
    static func onEveryNode(_ sql: String) async throws {
        if let cluster = CitusTestCluster.fromEnvironment {
            try await cluster.onEveryNode(sql)
        } else {
            try await whileInUse { try await admin(sql) }
        }
    }

    /// Applies the schema in db (migrations, then functions): how the template is built.
    static func migrate(_ client: PostgresClient) async throws {
        try await Migrator(client: client, logger: logger).migrate(Schema.load(directory: schemaDirectory))
    }

    /// Creates `name` as a copy of the template.
    private static func createCopy(_ name: String) async throws {
        let template = try await TemplateDatabase.name()
        do {
            try await onEveryNode("CREATE DATABASE \(name) TEMPLATE \(template)")
        } catch  where DatabaseError(error)?.sqlState == "3D000" {
            // Dropped as stale by a test process of other migrations: build it again.
            try? await onEveryNode("DROP DATABASE IF EXISTS \(name)")
            try await TemplateDatabase.ensure()
            try await onEveryNode("CREATE DATABASE \(name) TEMPLATE \(template)")
        }
    }

    /// Runs one statement on the cluster's maintenance database (a client runs only once), or
    /// on another node's.
    static func admin(_ sql: String, url: String = adminURL) async throws {
        let admin = PostgresClient(configuration: try DatabaseURL.configuration(url, maximumConnections: 1))
        try await admin.whileRunning { admin in
            try await admin.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }
}
