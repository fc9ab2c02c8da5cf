import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the server until SIGTERM or SIGINT, then shuts it down gracefully: Hummingbird stops
/// taking connections and lets the requests in flight end (each within its deadline), and the
/// services stop. Whatever still runs after `grace` (a database call that never returns, the
/// connection pool retrying a database that is gone) is not waited for: the process exits, with
/// status 1, so that an orchestrator's restart is never held up by the server itself.
public struct ShutdownWatchdog: Sendable {
    let grace: Duration
    let logger: Logger

    public init(grace: Duration, logger: Logger) {
        self.grace = grace
        self.logger = logger
    }

    public func run(_ app: some ApplicationProtocol) async throws {
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let (grace, logger) = (self.grace, self.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    logger.info("shutting down", metadata: ["signal": "\(signal)", "grace": "\(grace)"])
                    try? await Task.sleep(for: grace)
                    guard !Task.isCancelled else { return }
                    logger.error("still shutting down after the grace period; exiting now", metadata: ["grace": "\(grace)"])
                    exit(1)
                }
            }
            // The service group ended (shut down, or failed): stop watching.
            try await tasks.next()
            tasks.cancelAll()
        }
    }
}
