import Foundation
import Logging
import PostgresNIO

/// The programme's rules: how long points last, the tiers, how long a redemption may be undone,
/// how long raw scans are kept.
public struct Programme: Sendable, Codable, Equatable {
    public struct Tier: Sendable, Codable, Equatable {
        public var name: String
        /// Points earned within the tier window that reach this tier.
        public var minEarned: Int64

        public init(name: String, minEarned: Int64) {
            self.name = name
            self.minEarned = minEarned
        }

        /// The rule for a tier's name: a lower-case ASCII letter, then up to 31 lower-case ASCII
        /// letters, digits or `_` — `[a-z][a-z0-9_]{0,31}`.
        public static func isValidName(_ name: some StringProtocol) -> Bool {
            let bytes = name.utf8
            guard (1...32).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
                return false
            }
            return bytes.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "_")
            }
        }

        /// The largest `min_earned`: 10^12 points.
        public static let maxMinEarned: Int64 = 1_000_000_000_000
    }

    /// Months credited points stay spendable (0: they never expire); a batch may override it.
    public var pointsValidMonths: Int
    /// Tiers go by points earned within this many trailing months.
    public var tierWindowMonths: Int
    public var redemptionCancelHours: Int
    /// Lowest first. Empty: no tiers.
    public var tiers: [Tier]
    /// Whole calendar months (UTC) of raw scans kept before the current month (0: forever);
    /// older monthly partitions are dropped by the programme jobs. Always set when read; nil
    /// in a replacement keeps the value in force (clients written before it existed send none).
    public var scanRetentionMonths: Int?

    public init(
        pointsValidMonths: Int = 12, tierWindowMonths: Int = 12, redemptionCancelHours: Int = 72, tiers: [Tier] = [],
        scanRetentionMonths: Int? = 24
    ) {
        self.pointsValidMonths = pointsValidMonths
        self.tierWindowMonths = tierWindowMonths
        self.redemptionCancelHours = redemptionCancelHours
        self.tiers = tiers
        self.scanRetentionMonths = scanRetentionMonths
    }

    public static let maxTiers = 20
    /// The longest scan retention: ten years.
    public static let maxScanRetentionMonths = 120

    func validate() throws {
        guard (0...120).contains(pointsValidMonths) else {
            throw StoreError(.invalid, .invalidPointsValidMonths, "points_valid_months is 0 (never expire) to 120")
        }
        guard (1...60).contains(tierWindowMonths) else {
            throw StoreError(.invalid, .invalidTierWindowMonths, "tier_window_months is 1 to 60")
        }
        guard (0...8760).contains(redemptionCancelHours) else {
            throw StoreError(.invalid, .invalidRedemptionCancelHours, "redemption_cancel_hours is 0 to 8760 (a year)")
        }
        if let scanRetentionMonths, !(0...Self.maxScanRetentionMonths).contains(scanRetentionMonths) {
            throw StoreError(.invalid, .invalidScanRetentionMonths, "scan_retention_months is 0 (keep forever) to 120")
        }
        guard tiers.count <= Self.maxTiers else {
            throw StoreError(.invalid, .invalidTiers, "at most \(Self.maxTiers) tiers")
        }
        for tier in tiers {
            guard Tier.isValidName(tier.name) else {
                throw StoreError(
                    .invalid, .invalidTiers, "tier name \"\(tier.name)\" is 1 to 32 lower-case letters, digits or _, starting with a letter"
                )
            }
            guard (0...Tier.maxMinEarned).contains(tier.minEarned) else {
                throw StoreError(.invalid, .invalidTiers, "tier \(tier.name): min_earned is 0 to 10^12")
            }
        }
        guard Set(tiers.map(\.name)).count == tiers.count, Set(tiers.map(\.minEarned)).count == tiers.count else {
            throw StoreError(.invalid, .invalidTiers, "tier names and min_earned values must each be distinct")
        }
    }
}

/// Reads and changes the programme's rules.
public struct ProgrammeStore: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func get() async throws -> Programme {
        var programme = Programme()
        let settings = try await database.query(
            """
            SELECT points_valid_months, tier_window_months, redemption_cancel_hours, scan_retention_months FROM programme_settings
            """, logger: logger)
        for try await (valid, window, cancel, retention) in settings.decode((Int, Int, Int, Int).self) {
            programme = Programme(
                pointsValidMonths: valid, tierWindowMonths: window, redemptionCancelHours: cancel, scanRetentionMonths: retention)
        }
        let tiers = try await database.query("SELECT name, min_earned FROM tiers ORDER BY min_earned", logger: logger)
        for try await (name, minEarned) in tiers.decode((String, Int64).self) {
            programme.tiers.append(.init(name: name, minEarned: minEarned))
        }
        return programme
    }

    /// Replaces the rules. When the tiers or their window change, every member with a tier or
    /// with points is queued for the tier job (`tier_review_at = now()`), which recomputes them
    /// in the background; new credits recompute at once.
    public func replace(with programme: Programme) async throws -> Programme {
        try programme.validate()
        let logger = self.logger
        try await database.transaction(logger: logger) { tx in
            let old = try await tx.query(
                """
                SELECT tier_window_months, coalesce((SELECT array_agg(name || ':' || min_earned ORDER BY min_earned) FROM tiers), '{}')
                FROM programme_settings FOR UPDATE
                """, logger: logger)
            var tiersChanged = true
            let newTiers = programme.tiers.sorted { $0.minEarned < $1.minEarned }.map { "\($0.name):\($0.minEarned)" }
            for try await (window, tiers) in old.decode((Int, [String]).self) {
                tiersChanged = window != programme.tierWindowMonths || tiers != newTiers
            }
            try await tx.query(
                """
                UPDATE programme_settings SET points_valid_months = \(programme.pointsValidMonths),
                    tier_window_months = \(programme.tierWindowMonths),
                    redemption_cancel_hours = \(programme.redemptionCancelHours),
                    scan_retention_months = coalesce(\(programme.scanRetentionMonths), scan_retention_months), updated_at = now()
                """, logger: logger)
            guard tiersChanged else { return }
            try await tx.query("DELETE FROM tiers", logger: logger)
            for tier in programme.tiers {
                try await tx.query("INSERT INTO tiers (name, min_earned) VALUES (\(tier.name), \(tier.minEarned))", logger: logger)
            }
            try await tx.query(
                """
                UPDATE members SET tier_review_at = now()
                WHERE merged_into IS NULL AND (tier IS NOT NULL OR lifetime_earned > 0)
                """, logger: logger)
        }
        return try await get()
    }
}
