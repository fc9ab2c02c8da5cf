import ArgumentParser
import Logging
import Foundation
import PostgresNIO
import TallyCore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations, each in its own transaction."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Directory of NNNN_name.sql files. Default: $TALLY_MIGRATIONS, else db/migrations.")
    var migrations: String?

    func run() async throws {
        let logger = makeLogger("tally.migrate")
        let directory = migrations ?? ProcessInfo.processInfo.environment["TALLY_MIGRATIONS"] ?? "db/migrations"
        let files = try Migration.load(directory: directory)
        let client = PostgresClient(configuration: try DatabaseURL.configuration(try database.resolvedURL(), maximumConnections: 1))
        let applied = try await client.whileRunning { client in
            try await Migrator(client: client, logger: logger).migrate(files)
        }
        if applied.isEmpty {
            print("database is up to date (\(files.count) migrations)")
        } else {
            for migration in applied { print("applied \(String(format: "%04d", migration.version))_\(migration.name)") }
        }
    }
}
