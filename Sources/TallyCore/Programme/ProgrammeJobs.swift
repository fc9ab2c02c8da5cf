import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// The programme's periodic work: writing off expired points and reviewing tiers whose
/// window has moved on. Both are safe to run from several servers at once (each member is
/// locked while it is changed), and both work in slices so no transaction grows large.
/// Each runs on a leased connection: a deadlock PostgreSQL breaks is an expected error here,
/// and PostgresNIO's pooled `query` keeps the connection when a statement fails early.
public struct ProgrammeJobs: Sendable {
    /// Members per transaction.
    public static let sliceSize = 500

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
    }

    /// Runs both jobs until nothing is due.
    public func run() async throws -> Report {
        var report = Report()
        while true {
            let (seen, members, points) = try await retryingDeadlocks(logger: logger) {
                try await database.withConnection { connection in
                    let rows = try await connection.query("SELECT seen, members, points FROM expire_points(\(Self.sliceSize)::int)", logger: logger)
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
        if report.pointsExpired > 0 { Counter(label: "tally_points_expired_total").increment(by: report.pointsExpired) }
        return report
    }
}

/// Runs `ProgrammeJobs` in the server every `interval` (and once shortly after start).
public struct ProgrammeJobsService: Service {
    let jobs: ProgrammeJobs
    let interval: Duration
    let logger: Logger

    public init(jobs: ProgrammeJobs, interval: Duration, logger: Logger) {
        self.jobs = jobs
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var wait = Duration.seconds(5)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            wait = interval
            do {
                let report = try await jobs.run()
                if report != ProgrammeJobs.Report() {
                    logger.info("programme jobs", metadata: [
                        "members_expired": "\(report.membersExpired)", "points_expired": "\(report.pointsExpired)",
                        "tiers_reviewed": "\(report.tiersReviewed)",
                    ])
                }
            } catch {
                logger.warning("programme jobs failed; will retry", metadata: ["error": "\(error.databaseDescription)"])
            }
        }
    }
}
