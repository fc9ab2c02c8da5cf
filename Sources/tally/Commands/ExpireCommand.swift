import ArgumentParser
import TallyCore

struct ExpireCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expire",
        abstract: "Write off expired points, review tiers whose window has moved on, and keep the scans' monthly partitions.",
        discussion: """
            The server does the same every TALLY_JOBS_INTERVAL seconds (default 3600); run this from \
            cron instead when that is 0. Safe to run while servers run: each member is locked while \
            it changes, and the work goes in slices of 500 members.
            """
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let report = try await database.withDatabase { client, logger in
            try await ProgrammeJobs(database: client, logger: logger).run()
        }
        print("expired \(report.pointsExpired) points of \(report.membersExpired) members; reviewed \(report.tiersReviewed) tiers")
        let created = report.scanPartitionsCreated.isEmpty ? "none" : report.scanPartitionsCreated.joined(separator: " ")
        let dropped = report.scanPartitionsDropped.isEmpty ? "none" : report.scanPartitionsDropped.joined(separator: " ")
        print("scan partitions created: \(created) (\(report.scansMovedFromDefault) scans moved from scans_default); dropped: \(dropped)")
    }
}
