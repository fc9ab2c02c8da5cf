import Foundation
import Logging
import Metrics
import PostgresNIO

/// The programme's periodic work: writing off expired points, reviewing tiers whose window
/// has moved on, and ending campaigns whose window has passed, and the dashboard's repeat-claim figure of each finished day. All are safe to run from several servers at once (each member is
/// locked while it is changed), and both work in slices so no transaction grows large.
/// Last, the scans' monthly partitions: this month's and the next two created, those older than
/// the retention dropped (db/functions/ensure_scan_partitions.sql, drop_old_scan_partitions.sql;
/// an advisory lock lets one server at a time do it).
/// Each runs on a leased connection: a deadlock PostgreSQL breaks is an expected error here,
/// and PostgresNIO's pooled `query` keeps the connection when a statement fails early.
public struct ProgrammeJobs: Sendable {
    /// Members per transaction.
    public static let sliceSize = 500
    /// Repeat-claim days written per statement.
    public static let repeatClaimDaysPerRun = 366

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Report: Sendable, Equatable {
        public var membersExpired = 0
        public var pointsExpired: Int64 = 0
        public var tiersReviewed = 0
        /// Campaigns ended because their window passed.
        public var campaignsEnded = 0
        /// Finished days whose repeat-claim figures were written (rollup_repeat_claims).
        public var repeatClaimDays = 0
        /// Monthly partitions of scans created (scans_YYYY_MM), oldest first.
        public var scanPartitionsCreated: [String] = []
        /// Scans moved out of scans_default into the partitions created for their months.
        public var scansMovedFromDefault: Int64 = 0
        /// Monthly partitions of scans dropped as older than the retention, oldest first.
        public var scanPartitionsDropped: [String] = []

        /// True when the run found nothing to do.
        public var isEmpty: Bool { self == Report() }
    }

    /// Runs both jobs until nothing is due.
    public func run() async throws -> Report {
        var report = Report()
        while true {
            let (seen, members, points) = try await retryingDeadlocks(logger: logger) {
                try await database.withConnection { connection in
                    let rows = try await connection.query(
                        "SELECT seen, members, points FROM expire_points(\(Self.sliceSize)::int)", logger: logger)
                    for try await slice in rows.decode((Int, Int, Int64).self) { return slice }
                    return (0, 0, Int64(0))
                }
            }
            report.membersExpired += members
            report.pointsExpired += points
            if seen == 0 { break }
        }
        while true {
            let reviewed = try await retryingDeadlocks(logger: logger) {
                try await database.withConnection { connection in
                    let rows = try await connection.query("SELECT review_tiers(\(Self.sliceSize)::int)", logger: logger)
                    for try await count in rows.decode(Int.self) { return count }
                    return 0
                }
            }
            report.tiersReviewed += reviewed
            if reviewed == 0 { break }
        }
        report.campaignsEnded = try await CampaignStore(database: database, logger: logger).endPastWindows()
        // The dashboard's repeat-claim rate, once per finished day: a count of distinct members
        // over 90 days is not additive, so no trigger can keep it; a first run catches up on all
        // history, a year of days per statement (one pass over their claims each).
        while true {
            let days = try await database.withConnection { connection in
                let rows = try await connection.query("SELECT fill_repeat_claims(\(Self.repeatClaimDaysPerRun)::int)", logger: logger)
                for try await count in rows.decode(Int.self) { return count }
                return 0
            }
            report.repeatClaimDays += days
            if days == 0 { break }
        }
        try await scanPartitions(into: &report)
        if report.pointsExpired > 0 { Counter(label: "tally_points_expired_total").increment(by: report.pointsExpired) }
        return report
    }

    /// Creates the scans' partitions ahead (moving rows out of scans_default), then drops those
    /// older than `programme_settings.scan_retention_months`: in that order, so that old rows
    /// found in the default go with their month.
    func scanPartitions(into report: inout Report) async throws {
        let created = try await database.query("SELECT partition_name, rows_moved FROM ensure_scan_partitions()", logger: logger)
        for try await (name, moved) in created.decode((String, Int64).self) {
            report.scanPartitionsCreated.append(name)
            report.scansMovedFromDefault += moved
        }
        let dropped = try await database.query("SELECT partition_name FROM drop_old_scan_partitions()", logger: logger)
        for try await name in dropped.decode(String.self) { report.scanPartitionsDropped.append(name) }
    }
}
