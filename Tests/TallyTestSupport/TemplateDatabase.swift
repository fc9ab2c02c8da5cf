import Crypto
import Foundation
import PostgresNIO
import TallyCore

/// The migrated database that test databases are copied from (`CREATE DATABASE … TEMPLATE`):
/// migrating once per test process instead of once per test.
///
/// Its name holds a hash of db/migrations and db/functions, so a change to either builds a
/// new template. Test processes may start at once, from this checkout or from others with
/// other migrations: an advisory lock on the maintenance database lets one of them build
/// while the others wait, and a template is built under a temporary name and renamed when
/// complete, so no one copies a half-migrated database. Nobody may connect to a template
/// (a database being copied must have no connections). On Citus the template is made, and each
/// copy, on every node (see `CitusTestCluster`).
enum TemplateDatabase {
    static let prefix = "tally_template_"

    /// Arbitrary but fixed: the advisory lock all test processes take to build or drop templates.
    static let lockKey: Int64 = 0x74_61_6C_6C_79_5F_74

    /// The template of this checkout, built (once per process) if absent. The first call also
    /// drops the templates of other migration sets.
    static func name() async throws -> String {
        try await firstUse.value
    }

    private static let firstUse = Task { try await ensure(droppingOthers: true) }

    /// Builds the template if it is absent (another process may have dropped it as stale);
    /// returns its name.
    @discardableResult
    static func ensure(droppingOthers: Bool = false) async throws -> String {
        let name = prefix + fingerprint()
        let admin = PostgresClient(configuration: try DatabaseURL.configuration(TestDatabase.adminURL, maximumConnections: 1))
        try await admin.whileRunning { admin in
            try await admin.withConnection { connection in
                // Released by the unlock below, or when the connection closes on an error.
                try await run("SELECT pg_advisory_lock(\(lockKey))", on: connection)
                if droppingOthers {
                    // Tidying only: a template that cannot be dropped now is dropped next time.
                    for other in try await templates(on: connection) where other != name {
                        try? await TestDatabase.onEveryNode("DROP DATABASE IF EXISTS \(other)")
                    }
                }
                if try await !templates(on: connection).contains(name) {
                    try await build(name, on: connection)
                }
                try await run("SELECT pg_advisory_unlock(\(lockKey))", on: connection)
            }
        }
        return name
    }

    /// Creates `name` + "_new", migrates it, closes it to connections and renames it `name`.
    private static func build(_ name: String, on connection: PostgresConnection) async throws {
        let building = name + "_new"
        // Left behind by a process that stopped while building (we hold the lock).
        try await TestDatabase.onEveryNode("DROP DATABASE IF EXISTS \(building) WITH (FORCE)")
        if let cluster = CitusTestCluster.fromEnvironment {
            try await cluster.create(building)
        } else {
            try await run("CREATE DATABASE \(building)", on: connection)
        }
        let client = PostgresClient(
            configuration: try DatabaseURL.configuration(TestDatabase.url(database: building), maximumConnections: 1))
        try await client.whileRunning { try await TestDatabase.migrate($0) }
        try await TestDatabase.onEveryNode("ALTER DATABASE \(building) ALLOW_CONNECTIONS false")
        // Citus's maintenance daemons keep sessions in every node's copy; refused from now on, they go.
        if CitusTestCluster.fromEnvironment != nil {
            try await TestDatabase.onEveryNode(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(building)'")
        }
        // The migrating client has closed its connection; its server process may take a moment to go.
        let deadline = ContinuousClock.now + .seconds(30)
        while try await count("SELECT count(*)::int FROM pg_stat_activity WHERE datname = '\(building)'", on: connection) > 0,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await TestDatabase.onEveryNode("ALTER DATABASE \(building) RENAME TO \(name)")
    }

    /// Every template on the cluster, this checkout's or not, and any left half built.
    private static func templates(on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.query(
            "SELECT datname FROM pg_database WHERE starts_with(datname, \(prefix))", logger: TestDatabase.logger)
        var names: [String] = []
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// SHA-256 of every file in db/migrations, db/functions and db/citus (names and contents), 16 hex digits.
    static func fingerprint() -> String {
        var hash = SHA256()
        for folder in ["migrations", "functions", "citus"] {
            let directory = TestDatabase.schemaDirectory + "/" + folder
            let files = (try? FileManager.default.subpathsOfDirectory(atPath: directory)) ?? []
            for file in files.sorted() {
                guard let contents = FileManager.default.contents(atPath: directory + "/" + file) else { continue }
                hash.update(data: Data("\(folder)/\(file)\n\(contents.count)\n".utf8))
                hash.update(data: contents)
            }
        }
        return hash.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    private static func run(_ sql: String, on connection: PostgresConnection) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
    }

    private static func count(_ sql: String, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }
}
