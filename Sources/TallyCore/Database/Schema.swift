import Foundation

/// What `tally migrate` applies, from a `db` directory: `migrations/` (NNNN_name.sql: tables,
/// indexes, constraints, data moves; each applied once, in version order) and `functions/`
/// (name.sql: one function, procedure or trigger function each, applied after the migrations
/// whenever it changed), and `citus/distribution.sql` (where each table lives on a Citus
/// cluster; applied only there, see docs/scale.md). See `Migrator` and
/// docs/storage-functions.md.
public struct Schema: Sendable {
    public var migrations: [Migration]
    public var functions: [SchemaFunction]
    /// The statements that distribute the tables on Citus, each idempotent (none: no file).
    public var distribution: [String]

    public init(migrations: [Migration], functions: [SchemaFunction], distribution: [String] = []) {
        self.migrations = migrations
        self.functions = functions
        self.distribution = distribution
    }

    /// `directory`/migrations, `directory`/functions and `directory`/citus/distribution.sql.
    public static func load(directory: String) throws -> Schema {
        let distribution = directory + "/citus/distribution.sql"
        return try Schema(
            migrations: Migration.load(directory: directory + "/migrations"),
            functions: SchemaFunction.load(directory: directory + "/functions"),
            distribution: FileManager.default.fileExists(atPath: distribution)
                ? SQLScript.statements(String(contentsOfFile: distribution, encoding: .utf8)) : []
        )
    }
}
