import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Synchronization
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// The server closes a connection that sends no complete request part for
/// `TALLY_HTTP_IDLE_TIMEOUT` (here 1.5 s): half-sent requests do not hold connections for ever,
/// and a keep-alive client that keeps talking keeps its connection.
@Suite("HTTP idle timeout over real connections")
struct ConnectionTimeoutTests {
    static let timeout: Duration = .milliseconds(1500)

    static func run(_ body: @Sendable (TestApp) async throws -> Void) async throws {
        try await TestApp.run(configure: { $0.httpIdleTimeout = Self.timeout }, body)
    }

    @Test("connections with half-sent request heads are closed after the timeout, not before")
    func halfSentHeads() async throws {
        try await Self.run { app in
            let port = try #require(app.client.port)
            var connections: [RawConnection] = []
            for i in 0..<40 {
                let connection = try await RawConnection.open(port: port)
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow-\(i): ")
                connections.append(connection)
            }
            for connection in connections {
                #expect(await connection.closed(within: .seconds(8)), "still open long after the timeout")
                let idle = try #require(connection.openAfterLastSend)
                #expect(idle >= Self.timeout - .milliseconds(150), "closed \(idle) after its last bytes, before the timeout")
                #expect(idle < Self.timeout + .seconds(5), "closed \(idle) after its last bytes")
                #expect(connection.received.isEmpty, "a half-sent request got an answer")
            }
        }
    }

    @Test("a request whose body stops coming is dropped after the timeout, and changes nothing")
    func halfSentBody() async throws {
        try await Self.run { app in
            let port = try #require(app.client.port)
            let connection = try await RawConnection.open(port: port)
            let body = #"{"sku": "SOAP-1", "name": "Soap", "default_points": 5}"#
            try await connection.send(
                "POST /api/v1/products HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(app.secrets[.admin]!)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + String(body.prefix(20)))
            #expect(await connection.closed(within: .seconds(8)), "still open long after the timeout")
            let idle = try #require(connection.openAfterLastSend)
            #expect(idle >= Self.timeout - .milliseconds(150), "closed \(idle) after its last bytes, before the timeout")
            #expect(try await app.count("products") == 0)
        }
    }

    @Test("a keep-alive client that sends a request every 0.3 s keeps its one connection; left idle, it is closed")
    func keepAlive() async throws {
        try await Self.run { app in
            let port = try #require(app.client.port)
            // One connection, 10 requests 0.3 s apart: 2.7 s, nearly twice the timeout. They are
            // sent from the connection's event loop, so a busy test machine cannot delay them
            // into an idle gap the server would rightly close.
            let connection = try await RawConnection.open(port: port)
            connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", times: 10, every: .milliseconds(300))
            for i in 0..<10 {
                let answer = try #require(await connection.response(within: .seconds(30)), "request \(i): no answer")
                #expect(answer.hasPrefix("HTTP/1.1 200"), "request \(i): \(answer)")
                #expect(answer.hasSuffix("\r\n\r\nok\n"), "request \(i): \(answer)")
            }
            #expect(!connection.isClosed, "closed while in use")
            #expect(ContinuousClock.now - connection.openedAt > Self.timeout, "the test did not outlast the timeout")
            // Left idle, it is closed after the timeout.
            #expect(await connection.closed(within: .seconds(8)))
        }
    }
}

/// A bare TCP connection to the test server, for sending a request a piece at a time and
/// seeing when the server closes it.
final class RawConnection: Sendable {
    let channel: any Channel
    private let collector: Collector
    let openedAt = ContinuousClock.now
    private let closedAt = Moment()
    private let lastSentAt = Moment()

    final class Moment: Sendable {
        let instant = Mutex<ContinuousClock.Instant?>(nil)
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let read = buffer.readBytes(length: buffer.readableBytes) ?? []
            bytes.withLock { $0 += read }
        }
    }

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
        channel.closeFuture.whenComplete { [closedAt] _ in closedAt.instant.withLock { $0 = .now } }
    }

    var isClosed: Bool { closedAt.instant.withLock { $0 } != nil }

    /// How long the connection stayed open after the last bytes it sent, once it is closed: what
    /// the server's idle timeout counts. Both instants are taken on the connection's event loop,
    /// so a busy machine that is slow to resume the test's task cannot shorten it.
    var openAfterLastSend: Duration? {
        guard let closed = closedAt.instant.withLock({ $0 }) else { return nil }
        return closed - (lastSentAt.instant.withLock { $0 } ?? openedAt)
    }

    static func open(port: Int) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    func send(_ text: String) async throws {
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenSuccess { [lastSentAt] in lastSentAt.instant.withLock { $0 = .now } }
        channel.writeAndFlush(ByteBuffer(string: text), promise: written)
        try await written.futureResult.get()
    }

    /// Sends `text` `times` times, `every` apart, from the connection's event loop.
    func send(_ text: String, times: Int, every interval: Duration) {
        let channel = self.channel
        for n in 0..<times {
            channel.eventLoop.scheduleTask(in: TimeAmount(interval * n)) {
                channel.writeAndFlush(ByteBuffer(string: text), promise: nil)
            }
        }
    }

    /// Everything the server sent so far.
    var received: [UInt8] { collector.bytes.withLock { $0 } }

    /// Whether the server closes the connection within `limit` (true at once if it has).
    func closed(within limit: Duration) async -> Bool {
        let once = Once()
        return await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            channel.closeFuture.whenComplete { _ in if once.take() { done.resume(returning: true) } }
            channel.eventLoop.scheduleTask(in: TimeAmount(limit)) { if once.take() { done.resume(returning: false) } }
        }
    }

    /// True the first time only.
    final class Once: Sendable {
        private let taken = Mutex(false)

        func take() -> Bool {
            taken.withLock { taken in
                defer { taken = true }
                return !taken
            }
        }
    }

    /// The next whole response (head and a Content-Length body) as text, taken off what was
    /// received; nil if none came within `limit`.
    func response(within limit: Duration) async throws -> String? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let taken: [UInt8]? = collector.bytes.withLock { bytes in
                let text = String(decoding: bytes, as: UTF8.self)
                guard let end = text.range(of: "\r\n\r\n") else { return nil }
                let head = text[..<end.lowerBound].lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                let headBytes = text[..<end.upperBound].utf8.count
                guard bytes.count >= headBytes + length else { return nil }
                let whole = Array(bytes[..<(headBytes + length)])
                bytes.removeFirst(headBytes + length)
                return whole
            }
            if let taken { return String(decoding: taken, as: UTF8.self) }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    deinit {
        channel.close(promise: nil)
    }
}
