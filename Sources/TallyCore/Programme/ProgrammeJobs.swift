import Foundation
import Logging
import Metrics
import PostgresNIO

/// The programme's periodic work: writing off expired points, reviewing tiers whose window
/// has moved on, and ending campaigns whose window has passed, and the dashboard's repeat-claim figure of each finished day. All are safe to run from several servers at once (each member is
/// locked while it is changed), and both work in slices so no transaction grows large.
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
        if report.pointsExpired > 0 { Counter(label: "tally_points_expired_total").increment(by: report.pointsExpired) }
        return report
    }
}
