import Logging
import PostgresNIO

/// Applies a `Schema`: the pending migrations in version order, then the function files, all in
/// one transaction.
///
/// Safe to run from several processes at once: a session advisory lock makes them take turns,
/// and each reads what is applied only once it holds the lock.
///
/// Order. Function files come after the migrations, so that a trigger (kept in its function's
/// file, `CREATE OR REPLACE TRIGGER`) finds its table, and a migration that drops a function to
/// change its signature is followed by the file that creates it anew, in the same transaction.
/// PL/pgSQL bodies are checked only when called, so the files may name tables, columns and
/// each other in any order. The other way round, a migration never relies on a function: on a
/// fresh database no function exists yet while the migrations run (and on an existing one they
/// are the previous release's). So a migration does its data moves in plain SQL, and whatever
/// else must call a function (a trigger, a column default) goes in that function's file, where
/// it is applied right after the function.
///
/// Functions are recorded in `schema_functions` with their file's checksum and applied again
/// only when it changed, or when a migration ran (a migration may drop what a file created,
/// such as a trigger on a table it replaces; applying every file then costs a few milliseconds).
/// A function whose file is deleted stays in the database until a migration drops it.
///
/// One transaction: the database is never left with a migration applied and the functions that
/// go with it not, and a failure anywhere leaves it as it was.
public struct Migrator: Sendable {
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    /// What one run applied.
    public struct Applied: Sendable {
        public var migrations: [Migration] = []
        public var functions: [SchemaFunction] = []
        /// Migrations applied under a former checksum (see `Migration.formerChecksums`), whose
        /// current checksum was recorded.
        public var rewritten: [Migration] = []

        public var isEmpty: Bool { migrations.isEmpty && functions.isEmpty && rewritten.isEmpty }
    }

    /// Arbitrary but fixed: the advisory lock key all Tally migrators agree on ("tally" in ASCII).
    static let lockKey: Int64 = 0x74_61_6C_6C_79

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Applies what is pending or changed; returns it (empty when up to date).
    @discardableResult
    public func migrate(_ schema: Schema) async throws -> Applied {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await apply(schema, on: connection)
                try await distribute(schema, on: connection)
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
        try await client.withConnection { try await records(of: "schema_migrations", by: "version", as: Int.self, on: $0) }
    }

    /// Function files applied so far, by name, with their checksums.
    public func appliedFunctions() async throws -> [String: String] {
        try await client.withConnection { try await records(of: "schema_functions", by: "name", as: String.self, on: $0) }
    }

    private func apply(_ schema: Schema, on connection: PostgresConnection) async throws -> Applied {
        if try await isCitus(connection) {
            // Tally's triggers run on the shards and touch only their own node's tables (see
            // db/citus/distribution.sql); Citus wants them allowed before a file replaces one.
            try await connection.query("SET citus.enable_unsafe_triggers = on", logger: logger)
        }
        let versions = try await records(of: "schema_migrations", by: "version", as: Int.self, on: connection)
        let functions = try await records(of: "schema_functions", by: "name", as: String.self, on: connection)
        var plan = Applied()
        let known = Dictionary(uniqueKeysWithValues: schema.migrations.map { ($0.version, $0) })
        for (version, checksum) in versions.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw Refused(
                    description: "the database has migration \(version), which this release does not know: is it older than the database?")
            }
            if migration.checksum == checksum { continue }
            guard Migration.formerChecksums[version]?.contains(checksum) == true else {
                throw Refused(
                    description: "migration \(version)_\(migration.name) was changed after it was applied; add a new migration instead")
            }
            plan.rewritten.append(migration)
        }
        plan.migrations = schema.migrations.filter { versions[$0.version] == nil }
        plan.functions =
            plan.migrations.isEmpty
            ? schema.functions.filter { functions[$0.name] != $0.checksum }
            : schema.functions
        let gone = Set(functions.keys).subtracting(schema.functions.map(\.name))
        guard !plan.isEmpty || !gone.isEmpty else { return plan }

        do {
            try await connection.withTransaction(logger: logger) { connection in
                try await createTables(on: connection)
                for migration in plan.rewritten {
                    logger.info("recording the current checksum of a rewritten migration", metadata: ["version": "\(migration.version)"])
                    try await connection.query(
                        """
                        UPDATE schema_migrations SET checksum = \(migration.checksum) WHERE version = \(migration.version)
                        """, logger: logger)
                }
                for migration in plan.migrations {
                    logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                    try await run(migration.sql, on: connection, failure: "migration \(migration.version)_\(migration.name)")
                    try await connection.query(
                        """
                        INSERT INTO schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                        """, logger: logger)
                }
                for function in plan.functions {
                    logger.info("applying function", metadata: ["name": "\(function.name)"])
                    try await run(function.sql, on: connection, failure: "function file \(function.name).sql")
                    try await connection.query(
                        """
                        INSERT INTO schema_functions (name, checksum) VALUES (\(function.name), \(function.checksum))
                        ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                        """, logger: logger)
                }
                for name in gone.sorted() {
                    logger.notice("function file deleted; the function stays until a migration drops it", metadata: ["name": "\(name)"])
                    try await connection.query("DELETE FROM schema_functions WHERE name = \(name)", logger: logger)
                }
            }
        } catch let error as PostgresTransactionError {
            if let refused = error.closureError as? Refused { throw refused }
            let cause = error.closureError ?? error.commitError ?? error.beginError ?? error
            throw Refused(description: "migrate failed and was rolled back: \(cause.databaseDescription)")
        }
        return plan
    }

    /// On a Citus coordinator (the database has the citus extension), spreads the tables over
    /// the cluster as db/citus/distribution.sql says: after the migrations' transaction, each
    /// statement in a transaction of its own, as Citus requires. Every statement is idempotent,
    /// so this runs on every migrate, and one that stopped half-way is finished by the next.
    private func distribute(_ schema: Schema, on connection: PostgresConnection) async throws {
        guard try await isCitus(connection) else { return }
        logger.info("distributing the tables over the Citus cluster")
        do {
            for statement in schema.distribution {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        } catch {
            throw Refused(
                description:
                    "db/citus/distribution.sql failed (the migrations are applied; migrate again to finish): \(error.databaseDescription)")
        }
    }

    /// Whether the database is a Citus coordinator's (it has the citus extension).
    private func isCitus(_ connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')", logger: logger)
        for try await (present) in rows.decode(Bool.self) { return present }
        return false
    }

    /// Runs a file's statements one by one (the extended protocol takes one at a time).
    private func run(_ sql: String, on connection: PostgresConnection, failure: String) async throws {
        do {
            for statement in SQLScript.statements(sql) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        } catch {
            throw Refused(description: "\(failure) failed; nothing was applied: \(error.databaseDescription)")
        }
    }

    private func createTables(on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_functions (
                name        text PRIMARY KEY,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
    }

    /// The rows of schema_migrations or schema_functions: key → checksum (none before the table exists).
    private func records<Key: PostgresDecodable & Hashable & Sendable>(
        of table: String, by column: String, as key: Key.Type, on connection: PostgresConnection
    ) async throws -> [Key: String] {
        let exists = try await connection.query("SELECT to_regclass(\(table)) IS NOT NULL", logger: logger)
        for try await (present) in exists.decode(Bool.self) where !present { return [:] }
        var records: [Key: String] = [:]
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(column), checksum FROM \(table)"), logger: logger)
        for try await (key, checksum) in rows.decode((Key, String).self) {
            records[key] = checksum
        }
        return records
    }
}
