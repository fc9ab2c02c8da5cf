import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TallyCore

/// Posts webhook events to their subscribers.
///
/// It claims due deliveries from `WebhookQueue` (safe with several servers), POSTs each
/// event's JSON signed like every Tally webhook (`WebhookSignature`), and records the outcome:
/// 2xx is delivered; anything else, or no answer within the timeout, is tried again after a
/// backoff, and dead after the last try. It wakes on `LISTEN tally_webhooks` (which
/// `emit_event` signals when it writes an event) and otherwise looks every poll interval.
/// On graceful shutdown it stops claiming and lets the POSTs under way finish.
struct WebhookDispatcher: Service {
    let database: PostgresClient
    let queue: WebhookQueue
    let settings: WebhookSettings
    let logger: Logger
    private let doorbell = Doorbell()
    /// The longest one call to the database may take before it is given up and tried again.
    static let databaseDeadline: Duration = .seconds(30)

    init(database: PostgresClient, settings: WebhookSettings, logger: Logger) {
        self.database = database
        self.queue = WebhookQueue(database: database, logger: logger)
        self.settings = settings
        self.logger = logger
    }

    func run() async throws {
        // Our own client: receivers' redirects are not followed (a 3xx is a failed try).
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5)))
        )
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await listen() }
            await withGracefulShutdownHandler {
                await deliverUntilShutdown(client)
            } onGracefulShutdown: { [doorbell] in
                Task { await doorbell.ring() }
            }
            group.cancelAll()
        }
        try await client.shutdown()
    }

    /// Claims and sends due deliveries until shutdown, up to `settings.concurrency` at once,
    /// each POST in a task of its own so that a slow receiver holds up nobody else. It waits for
    /// a notification, a free slot or the poll interval whenever it found less than it had room for.
    /// On shutdown it returns once the POSTs under way are done.
    private func deliverUntilShutdown(_ client: HTTPClient) async {
        let inFlight = InFlight()
        var databaseFailing = false
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let room = settings.concurrency - inFlight.count
                var claimed = 0
                if room > 0 {
                    do {
                        let (queue, lease) = (self.queue, settings.lease)
                        // Bounded: a database call that never returns must not stop deliveries.
                        let attempts = try await cancelWhenGracefulShutdown {
                            try await withDeadline(Self.databaseDeadline) { try await queue.claim(limit: room, lease: lease) }
                        }
                        if databaseFailing { logger.info("webhook deliveries: database reachable again") }
                        databaseFailing = false
                        claimed = attempts.count
                        for attempt in attempts {
                            inFlight.add(1)
                            group.addTask { [doorbell] in
                                await deliver(attempt, client: client)
                                // A slot is free: a loop that was full may claim again.
                                if inFlight.add(-1) == settings.concurrency - 1 { await doorbell.ring() }
                            }
                        }
                    } catch {
                        if !databaseFailing && !Task.isShuttingDownGracefully && !Task.isCancelled {
                            logger.warning(
                                "webhook deliveries: cannot claim; will retry", metadata: ["error": "\(error.databaseDescription)"])
                        }
                        databaseFailing = true
                    }
                }
                if claimed < room || room <= 0 { await doorbell.wait(upTo: settings.pollInterval) }
            }
        }
    }

    /// Rings the doorbell on each notification; listens again a second after the connection is lost.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await database.withConnection { connection in
                    try await connection.listen(on: WebhookQueue.channel) { notifications in
                        await doorbell.ring() // whatever came while nobody listened
                        for try await _ in notifications { await doorbell.ring() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("webhook deliveries: not listening; polling meanwhile", metadata: ["error": "\(error.databaseDescription)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// One POST and its outcome.
    private func deliver(_ attempt: WebhookAttempt, client: HTTPClient) async {
        let (status, problem) = await post(attempt, client: client)
        let metadata: Logger.Metadata = ["delivery": "\(attempt.deliveryID)", "attempt": "\(attempt.attempt)", "url": "\(attempt.url)"]
        do {
            let queue = self.queue
            if let status, (200..<300).contains(status) {
                try await withDeadline(Self.databaseDeadline) { try await queue.delivered(attempt, status: status) }
                Counter(label: "tally_webhook_deliveries_total", dimensions: [("outcome", "delivered")]).increment()
                return
            }
            let error = problem ?? "HTTP \(status ?? 0)"
            let last = settings.retry.isLast(attempt.attempt)
            let retryAfter = last ? nil : settings.retry.delay(afterAttempt: attempt.attempt)
            try await withDeadline(Self.databaseDeadline) {
                try await queue.failed(attempt, status: status, error: error, retryAfter: retryAfter)
            }
            Counter(label: "tally_webhook_deliveries_total", dimensions: [("outcome", last ? "dead" : "retry")]).increment()
            if last {
                logger.warning("webhook delivery dead after its last try", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            } else {
                logger.info("webhook delivery failed; will retry", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
        } catch {
            // The lease runs out and the delivery is sent again: at least once.
            logger.warning(
                "webhook delivery outcome not recorded", metadata: metadata.merging(["error": "\(error.databaseDescription)"]) { $1 })
        }
    }

    /// POSTs the event; returns the receiver's status (if it answered) and, for a failure,
    /// what went wrong in words for `last_error`.
    private func post(_ attempt: WebhookAttempt, client: HTTPClient) async -> (status: Int?, problem: String?) {
        let body = Data(attempt.payload.utf8)
        let timestamp = WebhookSignature.timestamp()
        var request = HTTPClientRequest(url: attempt.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Tally-Webhooks/1")
        request.headers.add(name: "X-Tally-Event", value: attempt.eventType)
        request.headers.add(name: "X-Tally-Delivery", value: String(attempt.deliveryID))
        request.headers.add(name: WebhookSignature.timestampHeader, value: timestamp)
        request.headers.add(
            name: WebhookSignature.signatureHeader,
            value: WebhookSignature.header(secret: SymmetricKey(data: attempt.secret), timestamp: timestamp, body: body)
        )
        request.body = .bytes(ByteBuffer(data: body))
        let (timeout, prepared) = (settings.timeout, request)
        do {
            // The client's deadline covers connecting and the answer's head, and reports why it
            // could not connect; this one, a little later, bounds reading the body too.
            return try await withDeadline(timeout + .seconds(1)) {
                let response = try await client.execute(prepared, timeout: .milliseconds(Int64(timeout.inSeconds * 1000)))
                let excerpt = try await Self.excerpt(of: response.body)
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return (status, nil) }
                return (status, "HTTP \(status)" + (excerpt.isEmpty ? "" : ": " + excerpt))
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return (nil, "no answer within \(Self.describe(timeout))")
        } catch is DeadlineExceeded {
            return (nil, "no answer within \(Self.describe(timeout))")
        } catch {
            return (nil, "\(error)")
        }
    }

    /// The start of a receiver's answer, for `last_error`; reads (and drops) at most 64 KiB.
    static func excerpt(of body: HTTPClientResponse.Body) async throws -> String {
        var start: [UInt8] = []
        var total = 0
        for try await chunk in body {
            total += chunk.readableBytes
            if start.count < 200 { start += chunk.readableBytesView.prefix(200 - start.count) }
            if total > 64 * 1024 { break }
        }
        let text = String(decoding: start, as: UTF8.self)
        return String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
            .trimmingCharacters(in: .whitespaces)
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.inSeconds
        return seconds >= 1 && seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(Int(seconds * 1000)) ms"
    }
}

/// How many POSTs are under way.
private final class InFlight: Sendable {
    private let value = Mutex(0)

    var count: Int { value.withLock { $0 } }

    /// Adds `delta`; returns the new count.
    @discardableResult
    func add(_ delta: Int) -> Int {
        value.withLock { count in
            count += delta
            return count
        }
    }
}
