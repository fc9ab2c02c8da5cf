import ArgumentParser
import Foundation
import Hummingbird
import Logging
import TallyCodes
import TallyCore
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

    @Option(
        name: .customLong("webhook-max-attempts"),
        help: "Tries of a webhook delivery before it is a dead letter (1-100). Default: $TALLY_WEBHOOK_MAX_ATTEMPTS, else 12.")
    var webhookMaxAttempts: Int?

    @Option(
        name: .customLong("webhook-backoff"),
        help: "Seconds before the first retry of a webhook delivery; doubled for each next one. Default: $TALLY_WEBHOOK_BACKOFF, else 10.")
    var webhookBackoff: Double?

    @Option(
        name: .customLong("webhook-max-backoff"),
        help: "Longest wait between two tries of a webhook delivery, in seconds. Default: $TALLY_WEBHOOK_MAX_BACKOFF, else 3600.")
    var webhookMaxBackoff: Double?

    @Option(
        name: .customLong("webhook-timeout"),
        help: "Seconds a webhook receiver has to answer. Default: $TALLY_WEBHOOK_TIMEOUT, else 10.")
    var webhookTimeout: Double?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = makeLogger("tally")
        // The most connections to PostgreSQL; the webhook service keeps one for LISTEN.
        let connections = try integer(environment, "TALLY_DATABASE_CONNECTIONS", default: 20, in: 2...500)
        let config = ServerConfig(
            hostname: hostname ?? environment["TALLY_LISTEN_HOST"] ?? "127.0.0.1",
            port: port ?? environment["TALLY_PORT"].flatMap { Int($0) } ?? 8080,
            publicHost: publicHost ?? environment["TALLY_PUBLIC_HOST"] ?? "localhost",
            databaseURL: try database.resolvedURL(),
            databaseConnections: connections,
            // Claim batches at once; unset: ServerConfig's default for this pool.
            claimConnections: try environment["TALLY_CLAIM_CONNECTIONS"].map { _ in
                try integer(environment, "TALLY_CLAIM_CONNECTIONS", default: 1, in: 1...(connections - 1))
            },
            // API claims that may wait for a claim connection.
            claimQueueLimit: try integer(environment, "TALLY_CLAIM_QUEUE_LIMIT", default: 2000, in: 1...1_000_000),
            keyRing: try keys.loadRing(),
            brand: Brand(
                name: environment["TALLY_BRAND_NAME"] ?? "Tally",
                color: environment["TALLY_BRAND_COLOR"] ?? "#C8102E",
                logoPath: environment["TALLY_BRAND_LOGO"],
                support: environment["TALLY_BRAND_SUPPORT"]
            ),
            sessionKey: try sessionKey(environment, logger: logger),
            dailyClaimCap: try integer(environment, "TALLY_DAILY_CLAIM_CAP", default: 0),
            timeZone: try timeZone(environment),
            codeDelivery: try codeDelivery(environment),
            trustForwardedFor: environment["TALLY_TRUST_PROXY"] == "1",
            secureCookies: environment["TALLY_SECURE_COOKIES"] == "1",
            programmeJobsSeconds: try integer(environment, "TALLY_JOBS_INTERVAL", default: 3600),
            webhooks: try webhookSettings(environment),
            apiDeadline: try seconds(environment, "TALLY_API_DEADLINE", default: 5, in: 0.1...300),
            pageDeadline: try seconds(environment, "TALLY_PAGE_DEADLINE", default: 3, in: 0.1...300),
            shutdownGrace: try seconds(environment, "TALLY_SHUTDOWN_GRACE", default: 10, in: 0...3600),
            failedKeys: try failedKeySettings(environment),
            httpIdleTimeout: try httpIdleTimeout(environment)
        )
        logger.info(
            "starting",
            metadata: [
                "listen": "\(config.hostname):\(config.port)",
                "kids": "\(config.keyRing.kids.map { "\($0):\(config.keyRing.key(kid: $0)!.fingerprint)" })",
            ])
        let app = try buildApplication(config, logger: logger)
        try await ShutdownWatchdog(grace: config.shutdownGrace, logger: logger).run(app)
    }

    /// A number of seconds from `name` (decimals allowed), within `range`.
    private func seconds(_ environment: [String: String], _ name: String, default value: Double, in range: ClosedRange<Double>) throws
        -> Duration
    {
        var seconds = value
        if let text = environment[name] {
            guard let number = Double(text), number.isFinite else { throw CommandFailure("\(name) must be a number of seconds") }
            seconds = number
        }
        guard range.contains(seconds) else {
            throw CommandFailure("\(name) must be from \(range.lowerBound) to \(range.upperBound) seconds")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// TALLY_SESSION_KEY (64 hex digits) or the file TALLY_SESSION_KEY_FILE; without either,
    /// a random key, so sessions end when the server restarts.
    private func sessionKey(_ environment: [String: String], logger: Logger) throws -> [UInt8] {
        var text = environment["TALLY_SESSION_KEY"]
        if text == nil, let path = environment["TALLY_SESSION_KEY_FILE"] {
            text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let text else {
            logger.warning("no TALLY_SESSION_KEY: using a random one, so consumers are signed out when the server restarts")
            return SigningKey.randomBytes()
        }
        let invalid = CommandFailure("TALLY_SESSION_KEY must be 64 hexadecimal digits (32 bytes)")
        let digits = Array(text)
        guard digits.count == 64 else { throw invalid }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(digits[i...(i + 1)]), radix: 16) else { throw invalid }
            bytes.append(byte)
        }
        return bytes
    }

    private func integer(_ environment: [String: String], _ name: String, default value: Int) throws -> Int {
        guard let text = environment[name] else { return value }
        guard let number = Int(text), number >= 0 else { throw CommandFailure("\(name) must be a whole number ≥ 0") }
        return number
    }

    /// `integer`, which must also lie in `range`.
    private func integer(_ environment: [String: String], _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        let number = try integer(environment, name, default: value)
        guard range.contains(number) else { throw CommandFailure("\(name) must be from \(range.lowerBound) to \(range.upperBound)") }
        return number
    }

    /// Retries and timeout of webhook deliveries, from the options or TALLY_WEBHOOK_*.
    private func webhookSettings(_ environment: [String: String]) throws -> WebhookSettings {
        func seconds(_ option: Double?, _ name: String, default value: Double, in range: ClosedRange<Double>) throws -> Duration {
            var seconds = value
            if let option {
                seconds = option
            } else if let text = environment[name] {
                guard let number = Double(text) else { throw CommandFailure("\(name) must be a number of seconds") }
                seconds = number
            }
            guard range.contains(seconds) else {
                throw CommandFailure("\(name) must be from \(range.lowerBound) to \(range.upperBound) seconds")
            }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        let attempts = try webhookMaxAttempts ?? integer(environment, "TALLY_WEBHOOK_MAX_ATTEMPTS", default: 12)
        guard (1...100).contains(attempts) else { throw CommandFailure("TALLY_WEBHOOK_MAX_ATTEMPTS must be from 1 to 100") }
        let backoff = try seconds(webhookBackoff, "TALLY_WEBHOOK_BACKOFF", default: 10, in: 0.01...86_400)
        let maxBackoff = try seconds(webhookMaxBackoff, "TALLY_WEBHOOK_MAX_BACKOFF", default: 3600, in: 0.01...604_800)
        guard maxBackoff >= backoff else { throw CommandFailure("TALLY_WEBHOOK_MAX_BACKOFF must not be less than TALLY_WEBHOOK_BACKOFF") }
        return WebhookSettings(
            retry: WebhookRetryPolicy(maxAttempts: attempts, backoff: backoff, maxBackoff: maxBackoff),
            timeout: try seconds(webhookTimeout, "TALLY_WEBHOOK_TIMEOUT", default: 10, in: 0.1...120)
        )
    }

    private func timeZone(_ environment: [String: String]) throws -> String {
        let name = environment["TALLY_TIME_ZONE"] ?? "Asia/Shanghai"
        guard TimeZone(identifier: name) != nil else { throw CommandFailure("TALLY_TIME_ZONE \(name) is not a time zone") }
        return name
    }

    /// TALLY_CODE_DELIVERY=log (development) or webhook, with TALLY_SMS_WEBHOOK_URL and TALLY_SMS_WEBHOOK_SECRET.
    private func codeDelivery(_ environment: [String: String]) throws -> CodeDelivery {
        switch environment["TALLY_CODE_DELIVERY"] ?? "log" {
        case "log":
            return .log
        case "webhook":
            guard let url = environment["TALLY_SMS_WEBHOOK_URL"], url.hasPrefix("http"),
                let secret = environment["TALLY_SMS_WEBHOOK_SECRET"], secret.count >= 16
            else {
                throw CommandFailure("webhook delivery needs TALLY_SMS_WEBHOOK_URL and TALLY_SMS_WEBHOOK_SECRET (16+ characters)")
            }
            return .webhook(url: url, secret: Array(secret.utf8))
        case let other:
            throw CommandFailure("TALLY_CODE_DELIVERY must be log or webhook, not \(other)")
        }
    }

    /// How many wrong API keys one address may send: TALLY_API_KEY_FAILURES at once (0: no
    /// limit), earned back over TALLY_API_KEY_FAILURE_WINDOW seconds, for at most
    /// TALLY_API_KEY_FAILURE_ADDRESSES addresses remembered at once.
    private func failedKeySettings(_ environment: [String: String]) throws -> FailedKeyThrottle.Settings {
        let failures = try integer(environment, "TALLY_API_KEY_FAILURES", default: 20, in: 0...1_000_000)
        let window = try integer(environment, "TALLY_API_KEY_FAILURE_WINDOW", default: 60, in: 1...86_400)
        let addresses = try integer(environment, "TALLY_API_KEY_FAILURE_ADDRESSES", default: 10_000, in: 100...10_000_000)
        return FailedKeyThrottle.Settings(failures: failures, window: .seconds(window), capacity: addresses)
    }

    /// TALLY_HTTP_IDLE_TIMEOUT: seconds an HTTP connection may go without a complete request
    /// part before it is closed (default 75, from 0.1 to 3600).
    private func httpIdleTimeout(_ environment: [String: String]) throws -> Duration {
        guard let text = environment["TALLY_HTTP_IDLE_TIMEOUT"] else { return ServerConfig.defaultHTTPIdleTimeout }
        guard let seconds = Double(text), (0.1...3600).contains(seconds) else {
            throw CommandFailure("TALLY_HTTP_IDLE_TIMEOUT must be from 0.1 to 3600 seconds")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
