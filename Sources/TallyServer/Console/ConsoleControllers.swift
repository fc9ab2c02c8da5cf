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
        AlertsPage(alerts: deps.alerts, keyRing: deps.config.keyRing).addRoutes(to: routes)
        AuditPage(audit: deps.staffAudit).addRoutes(to: routes)
    }
}
