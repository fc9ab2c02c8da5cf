import Logging
import ServiceLifecycle
import TallyCore

/// Runs `ProgrammeJobs` in the server every `interval` (and once shortly after start).
struct ProgrammeJobsService: Service {
    let jobs: ProgrammeJobs
    let interval: Duration
    let logger: Logger

    init(jobs: ProgrammeJobs, interval: Duration, logger: Logger) {
        self.jobs = jobs
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        var wait = Duration.seconds(5)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            wait = interval
            do {
                let report = try await jobs.run()
                if !report.isEmpty {
                    logger.info(
                        "programme jobs",
                        metadata: [
                            "members_expired": "\(report.membersExpired)", "points_expired": "\(report.pointsExpired)",
                            "tiers_reviewed": "\(report.tiersReviewed)", "campaigns_ended": "\(report.campaignsEnded)",
                            "repeat_claim_days": "\(report.repeatClaimDays)",
                            "scan_partitions_created": "\(report.scanPartitionsCreated.joined(separator: " "))",
                            "scans_moved_from_default": "\(report.scansMovedFromDefault)",
                            "scan_partitions_dropped": "\(report.scanPartitionsDropped.joined(separator: " "))",
                        ])
                }
            } catch {
                logger.warning("programme jobs failed; will retry", metadata: ["error": "\(error.databaseDescription)"])
            }
        }
    }
}
