/// What `tally migrate` applies, from a `db` directory: `migrations/` (NNNN_name.sql: tables,
/// indexes, constraints, data moves; each applied once, in version order) and `functions/`
/// (name.sql: one function, procedure or trigger function each, applied after the migrations
/// whenever it changed). See `Migrator` and docs/storage-functions.md.
public struct Schema: Sendable {
    public var migrations: [Migration]
    public var functions: [SchemaFunction]

    public init(migrations: [Migration], functions: [SchemaFunction]) {
        self.migrations = migrations
        self.functions = functions
    }

    /// `directory`/migrations and `directory`/functions.
    public static func load(directory: String) throws -> Schema {
        try Schema(
            migrations: Migration.load(directory: directory + "/migrations"),
            functions: SchemaFunction.load(directory: directory + "/functions")
        )
    }
}
