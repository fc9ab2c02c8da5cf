import Foundation

/// The console's Regions page for a period, from the rollups only: claims and scans by province,
/// once by the region printed on the batch and once by where the consumer was (a shared
/// location, classed to the nearest province centroid), and the batches scanned far from their
/// region, for diversion review.
public struct RegionReport: Sendable, Codable, Equatable {
    /// One of the 34 provincial divisions.
    public struct Province: Sendable, Codable, Equatable {
        /// ISO 3166-2:CN without `CN-`: `BJ`, `GD`, …
        public var code: String
        public var nameZh: String
        public var nameEn: String
        /// Claims and scans of codes whose batch region names this province.
        public var claimsByBatchRegion: Int64
        public var scansByBatchRegion: Int64
        /// Claims and scans whose shared location is nearest this province.
        public var claimsByLocation: Int64
        public var scansByLocation: Int64
    }

    /// A batch region that names no province (free text, or `unknown` for batches without one).
    public struct OtherRegion: Sendable, Codable, Equatable {
        public var region: String
        public var claims: Int64
        public var scans: Int64
    }

    /// A batch scanned in a province far from its region's centroid.
    public struct Diversion: Sendable, Codable, Equatable {
        public var batchId: Int64
        public var sku: String
        public var productName: String
        /// The batch's region as written on it.
        public var region: String
        /// The province it names.
        public var regionProvince: String
        /// The province the scans' locations are nearest.
        public var scannedIn: String
        /// The farthest of those scans from the region's centroid, in km.
        public var maxKm: Double
        /// Scans (not counting claims) and claims located there in the period.
        public var scans: Int64
        public var claims: Int64
    }

    public var timeZone: String
    public var period: DashboardPeriod
    /// The threshold: programme_settings.diversion_km.
    public var diversionKm: Int
    /// All 34, by code.
    public var provinces: [Province]
    /// By claims, most first.
    public var otherRegions: [OtherRegion]
    /// Located scans and claims nearest no province (abroad).
    public var scansAbroad: Int64
    public var claimsAbroad: Int64
    /// Scans and claims without a shared location.
    public var unlocatedScans: Int64
    public var unlocatedClaims: Int64
    /// Farthest first, at most the limit asked for.
    public var diversions: [Diversion]
}
