import Foundation
import PostgresNIO
import TallyCore

/// The Citus cluster the tests run on when `TALLY_TEST_CITUS_WORKERS` names its workers
/// (`host:port,host:port`; `ops/test --citus` sets it): `TALLY_TEST_DATABASE_URL` is then the
/// coordinator's maintenance database.
///
/// Every node has its own copy of each database. The template is made on every node, with the
/// extension and the nodes registered on the coordinator, and then migrated, which distributes
/// it (db/citus/distribution.sql); each test's database is a copy of it on every node, whose
/// shards are where the coordinator's copy expects them. Tests use 4 shards a table, two a
/// worker: enough for every cross-shard path, and cheaper to make.
struct CitusTestCluster: Sendable {
    struct Node: Sendable {
        let host: String
        let port: Int
    }

    let coordinator: Node
    let workers: [Node]

    static let fromEnvironment: CitusTestCluster? = {
        guard let list = ProcessInfo.processInfo.environment["TALLY_TEST_CITUS_WORKERS"], !list.isEmpty else { return nil }
        let workers = list.split(separator: ",").map { entry -> Node in
            let parts = entry.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else {
                fatalError("TALLY_TEST_CITUS_WORKERS: expected host:port,host:port, got \(list)")
            }
            return Node(host: String(parts[0]), port: port)
        }
        let components = URLComponents(string: TestDatabase.adminURL)!
        return CitusTestCluster(
            coordinator: Node(host: components.host ?? "127.0.0.1", port: components.port ?? 5432), workers: workers)
    }()

    private func url(_ node: Node, database: String) -> String {
        var components = URLComponents(string: TestDatabase.adminURL)!
        components.host = node.host
        components.port = node.port
        components.path = "/" + database
        return components.string!
    }

    /// Runs one statement on every node's maintenance database, all at once (each node's again
    /// while a database it names is in use: see `TestDatabase.whileInUse`).
    func onEveryNode(_ sql: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in [coordinator] + workers {
                group.addTask {
                    try await TestDatabase.whileInUse { try await TestDatabase.admin(sql, url: url(node, database: "postgres")) }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Drops `name` on every node. A worker may still hold a two-phase commit of it prepared (a
    /// write whose answer the test did not wait for); the coordinator's maintenance daemon would
    /// finish it within seconds, but not once the coordinator's copy is dropped, and a database
    /// with a prepared transaction cannot be dropped. The test is over and its data goes with
    /// the database, so what is left prepared is rolled back first.
    func drop(_ name: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in [coordinator] + workers {
                group.addTask {
                    try await TestDatabase.whileInUse {
                        try await rollBackPrepared(in: name, on: node)
                        try await TestDatabase.admin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", url: url(node, database: "postgres"))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func rollBackPrepared(in name: String, on node: Node) async throws {
        let admin = PostgresClient(configuration: try DatabaseURL.configuration(url(node, database: "postgres"), maximumConnections: 1))
        let gids = try await admin.whileRunning { admin in
            var gids: [String] = []
            let rows = try await admin.query("SELECT gid FROM pg_prepared_xacts WHERE database = \(name)", logger: TestDatabase.logger)
            for try await gid in rows.decode(String.self) { gids.append(gid) }
            return gids
        }
        guard !gids.isEmpty else { return }
        let database = PostgresClient(configuration: try DatabaseURL.configuration(url(node, database: name), maximumConnections: 1))
        try await database.whileRunning { database in
            for gid in gids {
                let literal = "'" + gid.replacingOccurrences(of: "'", with: "''") + "'"
                do {
                    try await database.query(PostgresQuery(unsafeSQL: "ROLLBACK PREPARED \(literal)"), logger: TestDatabase.logger)
                } catch  where DatabaseError(error)?.sqlState == "42704" {
                    // Citus's own recovery finished it meanwhile: gone, as wanted.
                }
            }
        }
    }

    /// `name` on every node, with the extension, and the nodes registered on the coordinator;
    /// not migrated.
    func create(_ name: String) async throws {
        try await onEveryNode("CREATE DATABASE \(name)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in [coordinator] + workers {
                group.addTask { try await TestDatabase.admin("CREATE EXTENSION citus", url: url(node, database: name)) }
            }
            try await group.waitForAll()
        }
        let here = url(coordinator, database: name)
        try await TestDatabase.admin("ALTER DATABASE \(name) SET citus.shard_count = 4", url: here)
        try await TestDatabase.admin("SELECT citus_set_coordinator_host('\(coordinator.host)', \(coordinator.port))", url: here)
        for worker in workers {
            try await TestDatabase.admin("SELECT citus_add_node('\(worker.host)', \(worker.port))", url: here)
        }
    }
}
