import Logging
import PostgresNIO
import TallyCore

/// The CRM's routes: members, the programme's rules, reports and segments.
struct CRMRoutes {
    let database: PostgresClient
    let config: ServerConfig
    let logger: Logger

    func addRoutes(to routes: APIRoutes) {
        MemberController(
            directory: MemberDirectory(database: database, logger: logger),
            ledger: MemberLedger(database: database, logger: logger),
            links: IdentityLinks(database: database, logger: logger),
            adjuster: PointsAdjuster(logger: logger),
            merger: MemberMerger(logger: logger),
            idempotency: IdempotencyStore(database: database, logger: logger)
        ).addRoutes(to: routes)
        ProgrammeController(programme: ProgrammeStore(database: database, logger: logger)).addRoutes(to: routes)
        ReportController(
            liability: LiabilityReports(database: database, logger: logger),
            segments: SegmentExport(database: database, logger: logger),
            timeZone: config.timeZone
        ).addRoutes(to: routes)
    }
}
