import ArgumentParser
import Foundation
import Hummingbird
import Logging
import TallyCodes
import TallyServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP server (landing page and JSON API)."
    )

    @Option(help: "Address to listen on. Default: $TALLY_LISTEN_HOST, else 127.0.0.1.")
    var hostname: String?

    @Option(help: "Port to listen on. Default: $TALLY_PORT, else 8080.")
    var port: Int?

    @Option(name: .customLong("public-host"), help: "Host printed in QR URLs. Default: $TALLY_PUBLIC_HOST, else localhost.")
    var publicHost: String?

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var keys: KeyOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = makeLogger("tally")
        let config = ServerConfig(
            hostname: hostname ?? environment["TALLY_LISTEN_HOST"] ?? "127.0.0.1",
            port: port ?? environment["TALLY_PORT"].flatMap { Int($0) } ?? 8080,
            publicHost: publicHost ?? environment["TALLY_PUBLIC_HOST"] ?? "localhost",
            databaseURL: try database.resolvedURL(),
            keyRing: try keys.loadRing()
        )
        logger.info("starting", metadata: [
            "listen": "\(config.hostname):\(config.port)",
            "kids": "\(config.keyRing.kids.map { "\($0):\(config.keyRing.key(kid: $0)!.fingerprint)" })",
        ])
        let app = try buildApplication(config, logger: logger)
        try await app.runService()
    }
}
