import Foundation
import Logging
import PostgresNIO

/// The console's counterfeit and abuse alerts: forged codes scanned, claimed codes scanned by
/// many others, bursts from one address, sign-in codes for many phones from one address.
///
/// Each reads one time window (`AlertWindow`: 7 days by default, at most 92) through the time
/// indexes (migration 0016 and `scans_by_time`), so its cost follows the window's rows and not
/// the history's. Thresholds and limits are checked before anything is queried: a bad one is a
/// 422 `invalid_alert_threshold` or `invalid_limit`. See docs/console.md, "Alerts".
public struct AbuseAlerts: Sendable {
    /// Rows an alert returns: `defaultLimit` unless asked, at most `limits.upperBound`.
    public static let limits = 1...1000
    public static let defaultLimit = 100

    /// Forged scans from one address in one hour: every one by default (each is a sighting of a
    /// counterfeit package).
    public static let defaultForgedMinScans = 1
    public static let forgedMinScansRange = 1...100_000
    /// Scanners of a claimed code other than its claimant: 3 by default, which a family sharing
    /// a package, or the claimant's own phone signed out, does not reach.
    public static let defaultCopiedMinScanners = 3
    public static let copiedMinScannersRange = 2...10_000
    /// A burst: 30 scans (or claims) within 10 minutes by default, far more than a person scans
    /// their own packages, fewer than a script does.
    public static let defaultBurstMinCount = 30
    public static let burstMinCountRange = 2...100_000
    public static let defaultBurstMinutes = 10
    public static let burstMinutesRange = 1...1440
    /// Sign-in codes for 5 different phones from one address in the window by default (the
    /// sign-in page allows an address 20 codes an hour).
    public static let defaultSignInMinPhones = 5
    public static let signInMinPhonesRange = 2...10_000

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Refuses a threshold outside `range`.
    static func check(_ value: Int, _ range: ClosedRange<Int>, _ name: String) throws {
        guard range.contains(value) else {
            throw StoreError(
                .invalid, .invalidAlertThreshold,
                "\(name) is a whole number from \(range.lowerBound) to \(range.upperBound); \(value) is not")
        }
    }

    /// Refuses a row limit outside `limits`.
    static func check(limit: Int) throws {
        guard limits.contains(limit) else {
            throw StoreError(
                .invalid, .invalidLimit, "limit is a whole number from \(limits.lowerBound) to \(limits.upperBound); \(limit) is not")
        }
    }
}
