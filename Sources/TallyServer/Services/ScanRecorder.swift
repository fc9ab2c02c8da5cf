import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import TallyCore

/// Records scans off the request path: pages hand scans to a buffer, and this service writes
/// them in multi-row inserts a few times a second. If the database is away, scans wait in the
/// buffer (bounded: past `capacity` the oldest are dropped and counted) and pages still answer.
///
/// A page hands its scan over under a lock, without a task or an actor hop: every scan of a
/// code records one, and that handover is part of the landing page's cost.
final class ScanRecorder: Service, Sendable {
    static let capacity = 100_000

    private let store: ScanStore
    private let logger: Logger
    private let interval: Duration
    private let buffer = Mutex<[Scan]>([])
    private let dropped = Counter(label: "tally_scans_dropped_total")
    private let written = Counter(label: "tally_scans_recorded_total")

    init(store: ScanStore, logger: Logger, interval: Duration = .milliseconds(250)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    func record(_ scan: Scan) {
        let full = buffer.withLock { buffer in
            let full = buffer.count >= Self.capacity
            if full { buffer.removeFirst(buffer.count - Self.capacity + 1) }
            buffer.append(scan)
            return full
        }
        if full { dropped.increment() }
    }

    /// Scans waiting to be written.
    var pending: Int { buffer.withLock { $0.count } }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush()
        }
        await flush() // what was buffered when shutdown began
    }

    /// Writes everything buffered now; on failure the scans go back to the front of the buffer
    /// for the next try. Only `run` calls it, so two flushes never overlap.
    func flush() async {
        while true {
            let batch = buffer.withLock { buffer in
                let batch = Array(buffer.prefix(ScanStore.rowsPerInsert))
                buffer.removeFirst(batch.count)
                return batch
            }
            if batch.isEmpty { return }
            do {
                let store = self.store
                try await withDeadline(.seconds(5)) { try await store.insert(batch) }
            } catch {
                let (pending, lost) = buffer.withLock { buffer in
                    // Back in front of what came meanwhile, within the same bound as ever.
                    let kept = batch.suffix(max(0, Self.capacity - buffer.count))
                    buffer.insert(contentsOf: kept, at: 0)
                    return (buffer.count, batch.count - kept.count)
                }
                if lost > 0 { dropped.increment(by: Int64(lost)) }
                logger.warning(
                    "scans not written; will retry", metadata: ["pending": "\(pending)", "error": "\(error.databaseDescription)"])
                return
            }
            written.increment(by: Int64(batch.count))
        }
    }
}
