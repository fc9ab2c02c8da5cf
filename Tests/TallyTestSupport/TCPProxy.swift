import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on loopback in front of PostgreSQL, which a test can cut and restore: the
/// database going away and coming back (a crash, a failover) under a live server.
///
/// - `cut()` closes every connection through it and refuses new ones (connections are closed
///   as soon as they are accepted), as a PostgreSQL that crashed would;
/// - `hang()` keeps every connection open but passes nothing on, as a network partition would;
/// - `restore()` passes connections through again.
public final class TCPProxy: Sendable {
    public enum Mode: Sendable {
        case passing, cut, hanging
    }

    public let port: Int
    private let channel: any Channel
    private let state: ProxyState

    /// Listens on a free loopback port and forwards to `targetPort`.
    public init(targetPort: Int) async throws {
        let state = ProxyState()
        self.state = state
        let group = MultiThreadedEventLoopGroup.singleton
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let mode = state.lock.withLock { state in
                    state.connections.append(inbound)
                    return state.mode
                }
                switch mode {
                case .cut:
                    return inbound.close()
                case .hanging:
                    return inbound.eventLoop.makeSucceededVoidFuture()
                case .passing:
                    return ClientBootstrap(group: inbound.eventLoop)
                        .connect(host: "127.0.0.1", port: targetPort)
                        .flatMap { outbound in
                            state.lock.withLock { $0.connections.append(outbound) }
                            let (toTarget, toClient) = GlueHandler.pair()
                            return inbound.pipeline.addHandler(toTarget).flatMap { outbound.pipeline.addHandler(toClient) }
                        }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    /// Closes every connection and refuses new ones.
    public func cut() {
        set(.cut, closing: true)
    }

    /// Keeps connections open and silent (new ones too): nothing reaches the database.
    public func hang() {
        set(.hanging, closing: true)
    }

    /// Passes new connections through again.
    public func restore() {
        set(.passing, closing: false)
    }

    public func close() async throws {
        cut()
        try await channel.close()
    }

    private func set(_ mode: Mode, closing: Bool) {
        let connections = state.lock.withLock { state -> [any Channel] in
            state.mode = mode
            defer { if closing { state.connections = [] } }
            return closing ? state.connections : []
        }
        for connection in connections { connection.close(promise: nil) }
    }
}

private final class ProxyState: Sendable {
    let lock = Mutex<(mode: TCPProxy.Mode, connections: [any Channel])>((.passing, []))
}

/// Copies bytes between the two channels of a proxied connection; closing one closes the other.
private final class GlueHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?

    static func pair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    // Both channels of a proxied connection are on one event loop (the outbound one is made on
    // the inbound one's), so the partner's context is used right here, on that loop.
    private func write(_ data: NIOAny) {
        context?.writeAndFlush(data, promise: nil)
    }

    private func closePartner() {
        partner?.context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.write(data) }
    func channelInactive(context: ChannelHandlerContext) { closePartner() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
