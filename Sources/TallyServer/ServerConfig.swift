import Foundation
import TallyCodes
import TallyCore

/// Everything the server needs, read once at start-up by the `tally serve` command.
public struct ServerConfig: Sendable {
    /// Address to listen on, e.g. 127.0.0.1 or 0.0.0.0.
    public var hostname: String
    public var port: Int
    /// The public host printed in QR URLs, e.g. `tally.cn`.
    public var publicHost: String
    public var databaseURL: String
    public var databaseConnections: Int
    /// How many API claim batches may run at once, each on a connection of its own (see
    /// `APIClaimStore`); nil: `defaultClaimConnections`.
    public var claimConnections: Int?
    /// API claims that may wait for a claim connection; past that, claims are answered 503
    /// at once (retry with the same Idempotency-Key) instead of queueing without end.
    public var claimQueueLimit: Int
    public var keyRing: KeyRing
    /// The consumer pages' look.
    public var brand: Brand
    /// 32 bytes that sign session cookies and one-time-code hashes. Keep it secret and stable:
    /// changing it signs everybody out.
    public var sessionKey: [UInt8]
    /// Claims one member may make per day (0: no cap).
    public var dailyClaimCap: Int
    /// The time zone "today" is counted in (daily caps, batch expiry).
    public var timeZone: String
    /// How one-time sign-in codes reach the phone.
    public var codeDelivery: CodeDelivery
    /// Take the client address from X-Forwarded-For (only behind a proxy you run).
    public var trustForwardedFor: Bool
    /// Mark cookies Secure (serve over HTTPS in production).
    public var secureCookies: Bool
    /// How often the server writes off expired points and reviews tiers (0: never; run
    /// `tally expire` from cron instead).
    public var programmeJobsSeconds: Int
    /// Retries, timeouts and polling of webhook deliveries.
    public var webhooks: WebhookSettings
    /// The longest an API request waits on the database (its API key, its work, its commit)
    /// before it is answered 503 `database_unavailable` or `outcome_unknown`.
    public var apiDeadline: Duration
    /// The same for a consumer page, which then shows "try again in a moment".
    public var pageDeadline: Duration
    /// On SIGTERM the server stops taking connections, lets requests in flight end and exits;
    /// past this it exits whatever is still in flight.
    public var shutdownGrace: Duration
    /// How many wrong API keys one address may send before it gets 429 (`FailedKeyThrottle`).
    public var failedKeys: FailedKeyThrottle.Settings
    /// How long an HTTP connection may sit without a complete request part (a half-sent
    /// request, or an idle keep-alive connection) before the server closes it.
    public var httpIdleTimeout: Duration

    public init(
        hostname: String = "127.0.0.1",
        port: Int = 8080,
        publicHost: String = "localhost",
        databaseURL: String,
        databaseConnections: Int = 20,
        claimConnections: Int? = nil,
        claimQueueLimit: Int = 2000,
        keyRing: KeyRing,
        brand: Brand = Brand(),
        sessionKey: [UInt8] = SigningKey.randomBytes(),
        dailyClaimCap: Int = 0,
        timeZone: String = "Asia/Shanghai",
        codeDelivery: CodeDelivery = .log,
        trustForwardedFor: Bool = false,
        secureCookies: Bool = false,
        programmeJobsSeconds: Int = 3600,
        webhooks: WebhookSettings = WebhookSettings(),
        apiDeadline: Duration = .seconds(5),
        pageDeadline: Duration = .seconds(3),
        shutdownGrace: Duration = .seconds(10),
        failedKeys: FailedKeyThrottle.Settings = FailedKeyThrottle.Settings(),
        httpIdleTimeout: Duration = ServerConfig.defaultHTTPIdleTimeout
    ) {
        self.hostname = hostname
        self.port = port
        self.publicHost = publicHost
        self.databaseURL = databaseURL
        self.databaseConnections = databaseConnections
        self.claimConnections = claimConnections
        self.claimQueueLimit = claimQueueLimit
        self.keyRing = keyRing
        self.brand = brand
        self.sessionKey = sessionKey
        self.dailyClaimCap = dailyClaimCap
        self.timeZone = timeZone
        self.codeDelivery = codeDelivery
        self.trustForwardedFor = trustForwardedFor
        self.secureCookies = secureCookies
        self.programmeJobsSeconds = programmeJobsSeconds
        self.webhooks = webhooks
        self.apiDeadline = apiDeadline
        self.pageDeadline = pageDeadline
        self.shutdownGrace = shutdownGrace
        self.failedKeys = failedKeys
        self.httpIdleTimeout = httpIdleTimeout
    }

    /// Longer than the idle timeout load balancers commonly keep for their connections to a
    /// server (60 s), so that the balancer, not the server, closes an idle one: a request it
    /// sends on a connection the server is closing at that moment would fail.
    public static let defaultHTTPIdleTimeout: Duration = .seconds(75)

    /// Half the connections left after the webhook service's LISTEN, at least 1: the landing
    /// page and the CRM keep the other half under a flood of claims, and fewer, fuller batches
    /// made more claims/s than all of them (see docs/benchmarks.md).
    public var defaultClaimConnections: Int { max(1, (databaseConnections - 1) / 2) }
}

/// Brand name, colour and logo for the consumer pages.
public struct Brand: Sendable {
    public var name: String
    /// `#RRGGBB`
    public var color: String
    /// A PNG or SVG file served at `/brand/logo`, so pages load nothing from elsewhere.
    public var logoPath: String?
    /// Customer service, shown on warning pages: a phone number (`400-…`) or an https URL.
    public var support: String?

    public init(name: String = "Tally", color: String = "#C8102E", logoPath: String? = nil, support: String? = nil) {
        self.name = name
        self.color = color.wholeMatch(of: /#[0-9A-Fa-f]{6}/) != nil ? color : "#C8102E"
        self.logoPath = logoPath
        self.support = support
    }

    /// The support contact as a link target: `tel:` for a number, the URL itself otherwise.
    var supportLink: String? {
        guard let support, !support.isEmpty else { return nil }
        if support.hasPrefix("https://") { return support }
        let digits = support.filter { $0.isNumber || $0 == "+" }
        return digits.count >= 5 ? "tel:" + digits : nil
    }
}

/// Where one-time sign-in codes go.
public enum CodeDelivery: Sendable {
    /// Written to the server log (development only).
    case log
    /// POSTed as JSON to the brand's SMS gateway, signed with HMAC-SHA256 of `secret`.
    case webhook(url: String, secret: [UInt8])
}
