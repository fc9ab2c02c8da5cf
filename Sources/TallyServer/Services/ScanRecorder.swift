import Logging
import Metrics
import ServiceLifecycle
import TallyCore

/// Records scans off the request path: pages hand scans to a buffer, and this service writes
/// them in multi-row inserts a few times a second. If the database is away, scans wait in the
/// buffer (bounded: past `capacity` the oldest are dropped and counted) and pages still answer.
actor ScanRecorder: Service {
    static let capacity = 100_000

    private let store: ScanStore
    private let logger: Logger
    private let interval: Duration
    private var buffer: [Scan] = []
    private let dropped = Counter(label: "tally_scans_dropped_total")
    private let written = Counter(label: "tally_scans_recorded_total")

    init(store: ScanStore, logger: Logger, interval: Duration = .milliseconds(250)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    func record(_ scan: Scan) {
        if buffer.count >= Self.capacity {
            buffer.removeFirst(buffer.count - Self.capacity + 1)
            dropped.increment()
        }
        buffer.append(scan)
    }

    /// Scans waiting to be written.
    var pending: Int { buffer.count }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush()
        }
        await flush() // what was buffered when shutdown began
    }

    /// Writes everything buffered now; on failure the scans stay for the next try.
    func flush() async {
        while !buffer.isEmpty {
            let batch = Array(buffer.prefix(ScanStore.rowsPerInsert))
            do {
                let store = self.store
                try await withDeadline(.seconds(5)) { try await store.insert(batch) }
            } catch {
                logger.warning(
                    "scans not written; will retry", metadata: ["pending": "\(buffer.count)", "error": "\(error.databaseDescription)"])
                return
            }
            buffer.removeFirst(batch.count)
            written.increment(by: Int64(batch.count))
        }
    }
}
