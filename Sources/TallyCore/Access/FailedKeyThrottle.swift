import Foundation
import Synchronization

/// Throttles failed API key checks per client address, so that guessing keys (or a client
/// stuck on a revoked one) costs neither the database nor the server more than a trickle.
///
/// Each address has a token bucket: it may fail `failures` times at once, and earns one try
/// back every `window / failures`, so `failures` every `window` in the long run. An address
/// whose bucket is empty is refused before its key is looked at; a correct key from another
/// address is not affected. IPv6 addresses count by their /64 network, which one client
/// usually holds whole.
///
/// Memory is bounded: at most `capacity` addresses are remembered. When the table is full,
/// addresses whose bucket has filled up again (the same as never seen) are forgotten first,
/// then the quarter that failed longest ago.
public final class FailedKeyThrottle: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Failures an address may make at once (0: no throttle).
        public var failures: Int
        /// The time over which an address earns `failures` tries back.
        public var window: Duration
        /// The most addresses remembered at once.
        public var capacity: Int

        public init(failures: Int = 20, window: Duration = .seconds(60), capacity: Int = 10_000) {
            self.failures = failures
            self.window = window
            self.capacity = capacity
        }

        /// No throttle at all.
        public static let off = Settings(failures: 0)
    }

    struct Bucket {
        var tokens: Double
        var updatedAt: ContinuousClock.Instant
    }

    public let settings: Settings
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(_ settings: Settings = Settings()) {
        self.settings = settings
    }

    public var isOn: Bool { settings.failures > 0 }

    /// Whole seconds `address` must wait before its key is looked at again, or nil if it may
    /// try now.
    public func retryAfter(address: String?, now: ContinuousClock.Instant = .now) -> Int? {
        guard isOn else { return nil }
        let key = Self.key(address)
        return buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return nil }
            let tokens = refilled(bucket, now: now)
            guard tokens < 1 else { return nil }
            return max(1, Int(((1 - tokens) / refillPerSecond).rounded(.up)))
        }
    }

    /// Counts one failed key check from `address`.
    public func recordFailure(address: String?, now: ContinuousClock.Instant = .now) {
        guard isOn else { return }
        let key = Self.key(address)
        buckets.withLock { buckets in
            if let bucket = buckets[key] {
                buckets[key] = Bucket(tokens: max(0, refilled(bucket, now: now) - 1), updatedAt: now)
                return
            }
            if buckets.count >= settings.capacity { makeRoom(&buckets, now: now) }
            buckets[key] = Bucket(tokens: Double(settings.failures - 1), updatedAt: now)
        }
    }

    /// How many addresses are remembered now.
    public var count: Int { buckets.withLock { $0.count } }

    private var refillPerSecond: Double {
        Double(settings.failures) / max(Self.seconds(settings.window), 0.001)
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        min(Double(settings.failures), bucket.tokens + Self.seconds(now - bucket.updatedAt) * refillPerSecond)
    }

    /// Forgets the addresses whose bucket is full again; if that is not a quarter of the table,
    /// also the ones that failed longest ago, so a flood of new addresses costs one sort per
    /// quarter of the table, not a scan per address.
    private func makeRoom(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let full = Double(settings.failures)
        buckets = buckets.filter { refilled($0.value, now: now) < full }
        let target = settings.capacity - max(1, settings.capacity / 4)
        guard buckets.count > target else { return }
        let oldest = buckets.sorted { $0.value.updatedAt < $1.value.updatedAt }.prefix(buckets.count - target)
        for (key, _) in oldest { buckets[key] = nil }
    }

    /// The address a bucket is kept for: IPv4 as it is, IPv6 by its /64 network.
    static func key(_ address: String?) -> String {
        guard let address, !address.isEmpty else { return "unknown" }
        guard address.contains(":") else { return address }
        let lower = address.lowercased()
        // An IPv4-mapped address (::ffff:1.2.3.4) is the IPv4 address.
        if lower.hasPrefix("::ffff:"), lower.dropFirst(7).contains(".") { return String(lower.dropFirst(7)) }
        return network64(lower) ?? lower
    }

    /// The first four groups of an IPv6 address, `::` expanded: `2001:db8:0:1::5` → `2001:db8:0:1`.
    static func network64(_ address: String) -> String? {
        let text = address.split(separator: "%", maxSplits: 1).first.map(String.init) ?? address
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        let head = halves[0].isEmpty ? [] : halves[0].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let tail =
            halves.count == 2 && !halves[1].isEmpty
            ? halves[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init) : []
        var groups = head
        if halves.count == 2 { groups += Array(repeating: "0", count: max(0, 8 - head.count - tail.count)) }
        groups += tail
        guard groups.count >= 4 else { return nil }
        return groups.prefix(4).map { group in
            let trimmed = group.drop { $0 == "0" }
            return trimmed.isEmpty ? "0" : String(trimmed)
        }.joined(separator: ":")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
