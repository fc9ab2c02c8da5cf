import Foundation
import Logging
import PostgresNIO

extension DashboardStore {
    /// The longest diversion list asked for.
    public static let maxDiversions = 1000

    /// The Regions page for `from` to `to` (as `report`): claims and scans by province by batch
    /// region (rollup_activity) and by the consumer's location (rollup_scan_places), and at most
    /// `diversions` batches scanned farther than programme_settings.diversion_km from the
    /// centroid of the province their region names, farthest first.
    public func regions(from: String? = nil, to: String? = nil, diversions limit: Int = 100) async throws -> RegionReport {
        let settings = try await settings()
        let period = try DashboardPeriod(from: from, to: to, today: settings.today)
        let limit = min(max(limit, 1), Self.maxDiversions)

        // By the batch's region, which names a province by code or name, or none.
        var byRegion: [String: (claims: Int64, scans: Int64)] = [:]
        var other: [RegionReport.OtherRegion] = []
        let regions = try await database.query(
            """
            SELECT r.region, province_of_region(r.region), r.claims::int8, r.scans::int8 FROM (
                SELECT d.region, sum(d.claims) AS claims, sum(d.scans) AS scans
                FROM rollup_rows('rollup_activity', \(period.from)::date, \(period.to)::date) j,
                     jsonb_populate_record(NULL::rollup_activity, j) d
                GROUP BY d.region) r
            WHERE r.claims > 0 OR r.scans > 0
            ORDER BY r.claims DESC, r.region
            """, logger: logger)
        for try await (region, province, claims, scans) in regions.decode((String, String?, Int64, Int64).self) {
            if let province {
                let sum = byRegion[province] ?? (0, 0)
                byRegion[province] = (sum.claims + claims, sum.scans + scans)
            } else {
                other.append(.init(region: region, claims: claims, scans: scans))
            }
        }

        // By the consumer's shared location ('' : nearest no province).
        var byPlace: [String: (claims: Int64, scans: Int64)] = [:]
        let places = try await database.query(
            """
            SELECT d.province, sum(d.claims)::int8, sum(d.scans)::int8
            FROM rollup_rows('rollup_scan_places', \(period.from)::date, \(period.to)::date) j,
                 jsonb_populate_record(NULL::rollup_scan_places, j) d
            GROUP BY d.province
            """, logger: logger)
        for try await (province, claims, scans) in places.decode((String, Int64, Int64).self) {
            byPlace[province] = (claims, scans)
        }

        var provinces: [RegionReport.Province] = []
        let names = try await database.query("SELECT code, name_zh, name_en FROM provinces ORDER BY code", logger: logger)
        for try await (code, zh, en) in names.decode((String, String, String).self) {
            provinces.append(
                .init(
                    code: code, nameZh: zh, nameEn: en, claimsByBatchRegion: byRegion[code]?.claims ?? 0,
                    scansByBatchRegion: byRegion[code]?.scans ?? 0, claimsByLocation: byPlace[code]?.claims ?? 0,
                    scansByLocation: byPlace[code]?.scans ?? 0))
        }

        var totals: (claims: Int64, scans: Int64) = (0, 0)
        let sums = try await database.query(
            """
            SELECT coalesce(sum(d.claims), 0)::int8, coalesce(sum(d.scans), 0)::int8
            FROM rollup_rows('rollup_days', \(period.from)::date, \(period.to)::date) j,
                 jsonb_populate_record(NULL::rollup_days, j) d
            """, logger: logger)
        for try await row in sums.decode((Int64, Int64).self) { totals = row }
        let located = byPlace.values.reduce((claims: Int64(0), scans: Int64(0))) { ($0.claims + $1.claims, $0.scans + $1.scans) }

        var flagged: [RegionReport.Diversion] = []
        let far = try await database.query(
            """
            SELECT f.batch_id, p.sku, p.name, b.region, province_of_region(b.region), f.province, f.km, f.scans::int8, f.claims::int8
            FROM (
                SELECT d.batch_id, d.province, max(d.max_km) AS km, sum(d.scans) AS scans, sum(d.claims) AS claims
                FROM rollup_rows('rollup_scan_places', \(period.from)::date, \(period.to)::date) j,
                     jsonb_populate_record(NULL::rollup_scan_places, j) d
                WHERE d.batch_id <> 0 AND d.max_km > \(settings.diversionKm)
                GROUP BY d.batch_id, d.province) f
            JOIN batches b ON b.id = f.batch_id JOIN products p ON p.id = b.product_id
            ORDER BY f.km DESC, f.batch_id, f.province LIMIT \(limit)
            """, logger: logger)
        for try await (batch, sku, name, region, regionProvince, province, km, scans, claims) in far.decode(
            (Int64, String, String, String, String, String, Double, Int64, Int64).self)
        {
            flagged.append(
                .init(
                    batchId: batch, sku: sku, productName: name, region: region, regionProvince: regionProvince, scannedIn: province,
                    maxKm: km, scans: scans, claims: claims))
        }

        return RegionReport(
            timeZone: settings.timeZone, period: period, diversionKm: settings.diversionKm, provinces: provinces,
            otherRegions: other, scansAbroad: byPlace[""]?.scans ?? 0, claimsAbroad: byPlace[""]?.claims ?? 0,
            unlocatedScans: totals.scans - located.scans, unlocatedClaims: totals.claims - located.claims, diversions: flagged)
    }
}
