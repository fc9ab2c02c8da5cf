import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import TallyCore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations, then the function files that changed, in one transaction."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Directory holding migrations/ (NNNN_name.sql) and functions/ (name.sql). Default: $TALLY_SCHEMA, else db.")
    var schema: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        if environment["TALLY_MIGRATIONS"] != nil {
            throw ValidationError(
                "TALLY_MIGRATIONS is replaced by TALLY_SCHEMA: the directory holding migrations/ and functions/ (e.g. db)")
        }
        let logger = makeLogger("tally.migrate")
        let files = try Schema.load(directory: schema ?? environment["TALLY_SCHEMA"] ?? "db")
        let client = PostgresClient(configuration: try DatabaseURL.configuration(try database.resolvedURL(), maximumConnections: 1))
        let applied = try await client.whileRunning { client in
            try await Migrator(client: client, logger: logger).migrate(files)
        }
        if applied.isEmpty {
            print("database is up to date (\(files.migrations.count) migrations, \(files.functions.count) functions)")
        }
        for migration in applied.rewritten {
            print("recorded the rewritten text of \(String(format: "%04d", migration.version))_\(migration.name)")
        }
        for migration in applied.migrations { print("applied \(String(format: "%04d", migration.version))_\(migration.name)") }
        for function in applied.functions { print("applied function \(function.name)") }
    }
}
