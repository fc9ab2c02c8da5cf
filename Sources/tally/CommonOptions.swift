import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import TallyCodes
import TallyCore

/// Where the signing keys come from: `--keys FILE`, else `TALLY_KEY_FILE`, else `TALLY_KEYS`.
struct KeyOptions: ParsableArguments {
    @Option(name: .customLong("keys"), help: "Key file (KID:HEX lines, mode 0600). Default: $TALLY_KEY_FILE, else the keys in $TALLY_KEYS.")
    var keyFile: String?

    func loadRing() throws -> KeyRing {
        let environment = ProcessInfo.processInfo.environment
        do {
            return try KeyFile.load(path: keyFile ?? environment["TALLY_KEY_FILE"], environment: environment)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "postgres://user@host:port/db. Default: $TALLY_DATABASE_URL.")
    var url: String?

    func resolvedURL() throws -> String {
        guard let url = url ?? ProcessInfo.processInfo.environment[DatabaseURL.environmentVariable], !url.isEmpty else {
            throw ValidationError("no database: pass --database-url or set \(DatabaseURL.environmentVariable)")
        }
        return url
    }
}

/// Logs to standard error, at the level in $LOG_LEVEL (default info).
func makeLogger(_ label: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        return handler
    }
    return Logger(label: label)
}

extension DatabaseOptions {
    /// Runs `body` with a connected database client, for commands that work on the database directly.
    func withDatabase<T: Sendable>(_ body: @Sendable (PostgresClient, Logger) async throws -> T) async throws -> T {
        let logger = makeLogger("tally")
        let client = PostgresClient(configuration: try DatabaseURL.configuration(try resolvedURL(), maximumConnections: 2))
        do {
            return try await client.whileRunning { try await body($0, logger) }
        } catch let error as StoreError {
            throw CommandFailure(error.message)
        } catch let error where DatabaseError(error) != nil {
            throw CommandFailure(error.databaseDescription)
        }
    }
}

/// Who a command acts as, in audit records: the Unix user and host.
var commandLineActor: String {
    let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName
    return "cli:\(user)@\(ProcessInfo.processInfo.hostName)"
}
