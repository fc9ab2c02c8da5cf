import Logging
import PostgresNIO
import Testing
import TallyCore
import TallyTestSupport

@Suite("Schema migrations against a real PostgreSQL")
struct MigrationTests {
    let files: [Migration]

    init() throws {
        files = try Migration.load(directory: TestDatabase.migrationsDirectory)
    }

    @Test("migrations apply on an empty database and a second run applies nothing")
    func applyAndIdempotent() async throws {
        try await TestDatabase.withFresh(migrated: false) { [files] client, _ in
            let migrator = Migrator(client: client, logger: TestDatabase.logger)
            let first = try await migrator.migrate(files)
            #expect(first.map(\.version) == files.map(\.version))
            let second = try await migrator.migrate(files)
            #expect(second.isEmpty)
            #expect(try await migrator.appliedVersions().keys.sorted() == files.map(\.version))
        }
    }

    @Test("a test database copied from the template has every migration of this checkout applied")
    func templateIsCurrent() async throws {
        try await TestDatabase.withFresh { [files] client, _ in
            let applied = try await Migrator(client: client, logger: TestDatabase.logger).appliedVersions()
            #expect(applied == Dictionary(uniqueKeysWithValues: files.map { ($0.version, $0.checksum) }))
        }
    }

    @Test("two migrators running at once apply each migration exactly once")
    func concurrent() async throws {
        try await TestDatabase.withFresh(migrated: false) { [files] client, url in
            let other = PostgresClient(configuration: try DatabaseURL.configuration(url, maximumConnections: 1))
            let applied = try await other.whileRunning { other in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for db in [client, other] {
                        group.addTask { try await Migrator(client: db, logger: TestDatabase.logger).migrate(files).count }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
            }
            #expect(applied.sorted() == [0, files.count])
        }
    }

    @Test("a gap in the versions is fine, and a migration filling it later is applied then")
    func gapFilledLater() async throws {
        // 0004 is left for another branch while 0005 ships: the migrator applies what is
        // missing, in version order, whatever was applied before.
        try await TestDatabase.withFresh(migrated: false) { client, _ in
            let migrator = Migrator(client: client, logger: TestDatabase.logger)
            let first = Migration(version: 1, name: "first", sql: "CREATE TABLE gap_a (x int)")
            let third = Migration(version: 3, name: "third", sql: "CREATE TABLE gap_c (x int)")
            let second = Migration(version: 2, name: "second", sql: "CREATE TABLE gap_b (x int)")
            let before = try await migrator.migrate([first, third])
            let filled = try await migrator.migrate([first, second, third])
            #expect(before.map(\.version) == [1, 3])
            #expect(filled.map(\.version) == [2])
            #expect(try await migrator.appliedVersions().keys.sorted() == [1, 2, 3])
        }
    }

    @Test("a migration edited after it was applied is refused")
    func changedMigration() async throws {
        try await TestDatabase.withFresh { [files] client, _ in
            var edited = files
            let first = edited[0]
            edited[0] = Migration(version: first.version, name: first.name, sql: first.sql + "\n-- edited")
            await #expect(throws: Migrator.Refused.self) {
                try await Migrator(client: client, logger: TestDatabase.logger).migrate(edited)
            }
        }
    }

    @Test("a failing migration is rolled back whole and not recorded")
    func failingMigration() async throws {
        try await TestDatabase.withFresh { [files] client, _ in
            let broken = Migration(version: 9999, name: "broken", sql: "CREATE TABLE half_done (x int); SELECT no_such_column FROM half_done;")
            let migrator = Migrator(client: client, logger: TestDatabase.logger)
            await #expect(throws: Migrator.Refused.self) { try await migrator.migrate(files + [broken]) }
            #expect(try await migrator.appliedVersions()[9999] == nil)
            let rows = try await client.query("SELECT to_regclass('half_done') IS NULL", logger: TestDatabase.logger)
            for try await gone in rows.decode(Bool.self) { #expect(gone) }
        }
    }
}
