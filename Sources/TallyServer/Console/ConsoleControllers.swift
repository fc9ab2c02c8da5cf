import Foundation
import Hummingbird
import TallyCore

/// The brand console's pages, mounted under /console (see Kit/ConsoleRoutes for the gate every
/// one of them passes).
enum ConsoleControllers {
    static func mount(_ deps: Dependencies, on router: Router<AppRequestContext>) {
        ConsoleFormat.timeZone = TimeZone(identifier: deps.config.timeZone) ?? ConsoleFormat.timeZone
        let routes = ConsoleRoutes(router: router, gate: ConsoleSessionGate(staff: deps.staff, signer: deps.signer, config: deps.config))
        ConsoleSignInController(gate: routes.gate, staff: deps.staff).addRoutes(to: routes)
        // In the order of the navigation (ConsoleSection).
        DashboardPage(dashboard: deps.dashboard).addRoutes(to: routes)
        RegionsPage(dashboard: deps.dashboard).addRoutes(to: routes)
        AlertsPage(alerts: deps.alerts, keyRing: deps.config.keyRing).addRoutes(to: routes)
        MembersPage(deps).addRoutes(to: routes)
        CampaignsPage(deps).addRoutes(to: routes)
        RewardsPage(rewards: deps.rewards, audit: deps.staffAudit).addRoutes(to: routes)
        RedemptionsPage(redemptions: deps.redemptions, audit: deps.staffAudit).addRoutes(to: routes)
        PackagingPage(deps).addRoutes(to: routes)
        BatchPage(deps).addRoutes(to: routes)
        ProgrammePage(programme: deps.programme, audit: deps.staffAudit).addRoutes(to: routes)
        WebhooksPage(subscriptions: deps.subscriptions, deliveries: deps.deliveries, database: deps.database, audit: deps.staffAudit)
            .addRoutes(to: routes)
        APIKeysPage(keys: deps.keys, audit: deps.staffAudit).addRoutes(to: routes)
        LiabilityPage(liability: deps.liability, timeZone: deps.config.timeZone).addRoutes(to: routes)
        AuditPage(audit: deps.staffAudit).addRoutes(to: routes)
    }
}
