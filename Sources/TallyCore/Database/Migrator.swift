import Logging
import PostgresNIO

/// Applies pending migrations in order, each in its own transaction.
///
/// Safe to run from several processes at once: a session advisory lock makes them take
/// turns, and each reads what is applied only once it holds the lock.
public struct Migrator: Sendable {
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    /// Arbitrary but fixed: the advisory lock key all Tally migrators agree on ("tally" in ASCII).
    static let lockKey: Int64 = 0x74_61_6C_6C_79

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Applies what is pending; returns the migrations it applied (empty when up to date).
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [Migration] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await apply(migrations, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                // Closing the session would release the lock too; unlock so the pooled connection is clean.
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// Versions applied so far, with their checksums.
    public func appliedVersions() async throws -> [Int: String] {
        try await client.withConnection { try await appliedVersions(on: $0) }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [Migration] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        let applied = try await appliedVersions(on: connection)
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, checksum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw Refused(description: "the database has migration \(version), which this release does not know: is it older than the database?")
            }
            guard migration.checksum == checksum else {
                throw Refused(description: "migration \(version)_\(migration.name) was changed after it was applied; add a new migration instead")
            }
        }
        var done: [Migration] = []
        for migration in migrations where applied[migration.version] == nil {
            logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            do {
                try await connection.withTransaction(logger: logger) { connection in
                    for statement in SQLScript.statements(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("""
                        INSERT INTO schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                        """, logger: logger)
                }
            } catch {
                throw Refused(description: "migration \(migration.version)_\(migration.name) failed and was rolled back: \(error.databaseDescription)")
            }
            done.append(migration)
        }
        return done
    }

    private func appliedVersions(on connection: PostgresConnection) async throws -> [Int: String] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        for try await (present) in exists.decode(Bool.self) where !present { return [:] }
        var versions: [Int: String] = [:]
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations", logger: logger)
        for try await (version, checksum) in rows.decode((Int, String).self) {
            versions[version] = checksum
        }
        return versions
    }
}
