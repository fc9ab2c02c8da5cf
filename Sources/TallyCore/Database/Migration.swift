import Foundation

/// One file of `db/migrations`, named `NNNN_name.sql`: tables, indexes, constraints and data
/// moves, applied once, in version order. Functions are not defined here but in `db/functions`
/// (see `SchemaFunction`).
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// SHA-256 of the file, so that a migration edited after it was applied is noticed.
    public var checksum: String { SQLChecksum.of(sql) }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The migrations in `directory`, in version order.
    public static func load(directory: String) throws -> [Migration] {
        var migrations: [Migration] = []
        for file in try SQLFile.all(in: directory) {
            let parts = file.stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]) else {
                throw Invalid(description: "migration file \(file.stem).sql must be named NNNN_name.sql")
            }
            migrations.append(Migration(version: version, name: String(parts[1]), sql: file.sql))
        }
        migrations.sort { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw Invalid(description: "two migrations have version \(a.version)")
        }
        guard !migrations.isEmpty else { throw Invalid(description: "no migrations in \(directory)") }
        return migrations
    }
}
