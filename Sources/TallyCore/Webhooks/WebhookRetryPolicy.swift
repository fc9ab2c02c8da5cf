/// When a failed webhook delivery is tried again, and when it is given up as a dead letter.
///
/// The wait after the n-th failed try is `backoff · 2^(n−1)`, at most `maxBackoff`, times a
/// random factor in 0.8…1.2, so that deliveries failing together (a receiver that was down)
/// do not all come back in the same second.
public struct WebhookRetryPolicy: Sendable, Equatable {
    /// Tries in all, the first included; a delivery failing the last one is dead.
    public var maxAttempts: Int
    /// The wait after the first failure.
    public var backoff: Duration
    /// The longest wait between two tries.
    public var maxBackoff: Duration

    /// 12 tries over about 3.5 hours: 10 s, 20 s, 40 s … then hourly.
    public init(maxAttempts: Int = 12, backoff: Duration = .seconds(10), maxBackoff: Duration = .seconds(3600)) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.maxBackoff = max(backoff, maxBackoff)
    }

    /// The wait after try number `attempt` (1-based) failed, before jitter.
    public func nominalDelay(afterAttempt attempt: Int) -> Duration {
        let doublings = min(max(attempt - 1, 0), 40)
        let seconds = min(backoff.inSeconds * Double(UInt64(1) << UInt64(doublings)), maxBackoff.inSeconds)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The wait after try number `attempt` failed, with `jitter` (a factor, normally random in 0.8…1.2).
    public func delay(afterAttempt attempt: Int, jitter: Double = Double.random(in: 0.8...1.2)) -> Duration {
        .milliseconds(Int64((nominalDelay(afterAttempt: attempt).inSeconds * jitter * 1000).rounded()))
    }

    /// Whether a delivery that failed try number `attempt` is dead.
    public func isLast(_ attempt: Int) -> Bool { attempt >= maxAttempts }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
