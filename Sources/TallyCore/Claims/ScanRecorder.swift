import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// One scan of a code (or of something that was not one), as the brand's reports need it.
public struct Scan: Sendable {
    /// What the scan found: valid, typo, forged, malformed, unknown_key, claimed_by_other, …
    public var result: String
    public var kid: Int16?
    public var serial: Int64?
    /// What was scanned or typed, when it was not a genuine code (cut to 200 characters).
    public var input: String?
    public var member: UUID?
    public var ip: String?
    public var userAgent: String?
    public var latitude: Double?
    public var longitude: Double?
    public var accuracy: Float?
    public var at = Date()

    public init(
        result: String, kid: Int16? = nil, serial: Int64? = nil, input: String? = nil, member: UUID? = nil,
        ip: String? = nil, userAgent: String? = nil, latitude: Double? = nil, longitude: Double? = nil, accuracy: Float? = nil
    ) {
        self.result = result
        self.kid = kid
        self.serial = serial
        self.input = input.map { String($0.prefix(200)) }
        self.member = member
        self.ip = ip
        self.userAgent = userAgent.map { String($0.prefix(500)) }
        self.latitude = latitude
        self.longitude = longitude
        self.accuracy = accuracy
    }
}

/// Records scans off the request path: pages hand scans to a buffer, and this service writes
/// them in multi-row inserts a few times a second. If the database is away, scans wait in the
/// buffer (bounded: past `capacity` the oldest are dropped and counted) and pages still answer.
public actor ScanRecorder: Service {
    public static let capacity = 100_000
    static let rowsPerInsert = 500

    private let database: PostgresClient
    private let logger: Logger
    private let interval: Duration
    private var buffer: [Scan] = []
    private let dropped = Counter(label: "tally_scans_dropped_total")
    private let written = Counter(label: "tally_scans_recorded_total")

    public init(database: PostgresClient, logger: Logger, interval: Duration = .milliseconds(250)) {
        self.database = database
        self.logger = logger
        self.interval = interval
    }

    public func record(_ scan: Scan) {
        if buffer.count >= Self.capacity {
            buffer.removeFirst(buffer.count - Self.capacity + 1)
            dropped.increment()
        }
        buffer.append(scan)
    }

    /// Scans waiting to be written.
    public var pending: Int { buffer.count }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush()
        }
        await flush() // what was buffered when shutdown began
    }

    /// Writes everything buffered now; on failure the scans stay for the next try.
    public func flush() async {
        while !buffer.isEmpty {
            let batch = Array(buffer.prefix(Self.rowsPerInsert))
            do {
                let (database, logger) = (self.database, self.logger)
                try await withDeadline(.seconds(5)) { try await database.query(Self.insert(batch), logger: logger) }
            } catch {
                logger.warning("scans not written; will retry", metadata: ["pending": "\(buffer.count)", "error": "\(error.databaseDescription)"])
                return
            }
            buffer.removeFirst(batch.count)
            written.increment(by: Int64(batch.count))
        }
    }

    static func insert(_ scans: [Scan]) -> PostgresQuery {
        var sql = "INSERT INTO scans (scanned_at, result, kid, serial, input, member_id, ip, user_agent, latitude, longitude, accuracy_m) VALUES "
        var bindings = PostgresBindings(capacity: scans.count * 11)
        for (row, scan) in scans.enumerated() {
            let base = row * 11
            sql += (row == 0 ? "" : ", ") + "(" + (1...11).map { i in
                i == 7 ? "$\(base + i)::inet" : "$\(base + i)"
            }.joined(separator: ", ") + ")"
            bindings.append(scan.at)
            bindings.append(scan.result)
            bindings.append(scan.kid)
            bindings.append(scan.serial)
            bindings.append(scan.input)
            bindings.append(scan.member)
            bindings.append(scan.ip)
            bindings.append(scan.userAgent)
            bindings.append(scan.latitude)
            bindings.append(scan.longitude)
            bindings.append(scan.accuracy)
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
