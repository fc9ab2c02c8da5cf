import TallyCore

/// How the webhook delivery service works: its retry policy, how long a receiver may take,
/// and how often it looks for due deliveries when no notification wakes it.
public struct WebhookSettings: Sendable {
    public var retry: WebhookRetryPolicy
    /// A receiver must answer within this (connecting, headers and body).
    public var timeout: Duration
    /// How often due deliveries are looked for without a notification (retries come due this way).
    public var pollInterval: Duration
    /// POSTs under way at once, at most (per server).
    public var concurrency: Int

    public init(
        retry: WebhookRetryPolicy = WebhookRetryPolicy(),
        timeout: Duration = .seconds(10),
        pollInterval: Duration = .seconds(1),
        concurrency: Int = 32
    ) {
        self.retry = retry
        self.timeout = timeout
        self.pollInterval = pollInterval
        self.concurrency = max(1, concurrency)
    }

    /// How long a claimed delivery is kept from other servers: past the timeout with room to
    /// record the outcome. If the server dies meanwhile, the delivery is sent again after it.
    var lease: Duration { timeout * 3 }
}
