import Foundation
import PostgresNIO
import TallyTestSupport
import Testing

@testable import TallyCore

/// DashboardStore's reports, counted by hand: the period and the one before it, the top lists,
/// the liability, the repeat-claim rate, the Regions page and its diversion flags.
@Suite("Dashboard reports")
struct DashboardReportTests {
    @Test("the dashboard of today, and the day before as the previous period")
    func report() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            _ = try await DashboardRollupTests.programme(f)
            // Yesterday: a member and a forged scan (rows with their own times, through the triggers).
            try await f.run("INSERT INTO members (created_at) VALUES (now() - interval '1 day')")
            try await ScanStore(database: client, logger: f.logger).insert([
                {
                    var s = Scan(result: "forged", input: "x")
                    s.at = Date().addingTimeInterval(-86_400)
                    return s
                }()
            ])
            let store = DashboardStore(database: client, logger: f.logger)
            let today = try await f.text("SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')")
            let report = try await store.report(from: today, to: today)
            #expect(report.timeZone == "Asia/Shanghai")
            #expect(report.period.days == 1 && report.days.count == 1 && report.previousDays.count == 1)
            let c = report.current
            #expect(c.from == today && c.to == today)
            #expect(c.scans == 3 && c.genuineScans == 1 && c.forgedScans == 1 && c.claims == 3 && c.newMembers == 2)
            #expect(c.pointsIssued == 32 && c.pointsRedeemed == 5 && c.pointsExpired == 5 && c.pointsAdjustedOut == 3)
            #expect(c.scanToClaimRate == 3.0 && c.liability == 19 && report.liability == 19)
            #expect(c.repeatClaimDay == nil && c.repeatClaimRate == nil)
            let p = report.previous
            #expect(p.scans == 1 && p.forgedScans == 1 && p.genuineScans == 0 && p.newMembers == 1 && p.claims == 0)
            #expect(p.scanToClaimRate == nil && p.liability == 0)
            #expect(report.days[0].day == today && report.days[0].claims == 3)
            #expect(
                report.topProducts == [
                    .init(key: "RICE", name: "Rice", claims: 2, points: 20), .init(key: "OIL", name: "Oil", claims: 1, points: 5),
                ])
            #expect(
                report.topChannels == [
                    .init(key: "web", name: "web", claims: 2, points: 15), .init(key: "tmall", name: "tmall", claims: 1, points: 10),
                ])
            #expect(try await store.report(from: today, to: today, top: 1).topProducts.map(\.key) == ["RICE"])

            // The default: the 30 days ending today, against the 30 before.
            let month = try await store.report()
            #expect(month.period.days == 30 && month.period.to == today && month.days.count == 30 && month.previousDays.count == 30)
            #expect(month.current.claims == 3 && month.current.newMembers == 3 && month.current.scans == 4)
            #expect(month.previous.claims == 0 && month.previous.scans == 0)
        }
    }

    @Test("periods: bad dates and ranges are refused before anything is read")
    func periods() throws {
        let period = try DashboardPeriod(from: "2026-03-01", to: "2026-03-10", today: "2026-12-05")
        #expect(period.days == 10 && period.previousFrom == "2026-02-19" && period.previousTo == "2026-02-28")
        let standard = try DashboardPeriod(from: nil, to: nil, today: "2026-03-01")
        #expect(standard.from == "2026-01-31" && standard.to == "2026-03-01" && standard.previousTo == "2026-01-30")
        #expect(throws: StoreError.self) { try DashboardPeriod(from: "2026-02-30", to: nil, today: "2026-03-01") }
        #expect(throws: StoreError.self) { try DashboardPeriod(from: "2026-03-02", to: "2026-03-01", today: "2026-03-01") }
        #expect(throws: StoreError.self) { try DashboardPeriod(from: "2020-01-01", to: "2026-03-01", today: "2026-03-01") }
    }

    @Test("the repeat-claim rate: the programme jobs write each finished day once, as a count by brute force finds it")
    func repeatClaims() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            let (m1, m2, m3) = (
                try await f.member("+8613800000001"), try await f.member("+8613800000002"), try await f.member("+8613800000003")
            )
            // Claims moved to days before today T (local): m1 on T-100, T-50, T-5; m2 on T-3; m3 on T-95 and T-2.
            for (serial, member, daysAgo) in [(1, m1, 100), (2, m1, 50), (3, m1, 5), (4, m2, 3), (5, m3, 95), (6, m3, 2)] {
                try await f.claim(Int64(serial), by: member)
                try await f.run(
                    """
                    UPDATE claims SET claimed_at = (((now() AT TIME ZONE 'Asia/Shanghai')::date - \(daysAgo))::timestamp + interval '12 hours')
                        AT TIME ZONE 'Asia/Shanghai' WHERE serial = \(serial)
                    """)
            }
            let report = try await ProgrammeJobs(database: client, logger: f.logger).run()
            #expect(report.repeatClaimDays == 100)
            #expect(try await ProgrammeJobs(database: client, logger: f.logger).run().repeatClaimDays == 0)
            func day(_ ago: Int) async throws -> String {
                try await f.text(
                    "SELECT format('%s/%s', claimers, repeaters) FROM rollup_repeat_claims WHERE day = (now() AT TIME ZONE 'Asia/Shanghai')::date - \(ago)"
                )
            }
            #expect(try await day(1) == "3/1")
            #expect(try await day(5) == "1/1")
            #expect(try await day(10) == "2/0")
            #expect(try await day(50) == "2/1")
            #expect(try await day(60) == "2/0")
            #expect(try await day(100) == "1/0")
            // Every day as a count over its 90 days finds it.
            let wrong = try await f.scalar(
                """
                WITH c AS MATERIALIZED (SELECT member_id, (claimed_at AT TIME ZONE 'Asia/Shanghai')::date AS day FROM claims),
                per_member AS (
                    SELECT r.day, c.member_id, count(*) AS n FROM rollup_repeat_claims r
                    JOIN c ON c.day BETWEEN r.day - 89 AND r.day GROUP BY 1, 2),
                brute AS (SELECT day, count(*) AS claimers, count(*) FILTER (WHERE n >= 2) AS repeaters FROM per_member GROUP BY 1)
                SELECT count(*) FROM rollup_repeat_claims r LEFT JOIN brute b ON b.day = r.day
                WHERE (r.claimers, r.repeaters) <> (coalesce(b.claimers, 0), coalesce(b.repeaters, 0))
                """)
            #expect(wrong == 0)

            let yesterday = try await f.text("SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai')::date - 1, 'YYYY-MM-DD')")
            let dashboard = try await DashboardStore(database: client, logger: f.logger).report(to: yesterday)
            #expect(dashboard.current.repeatClaimDay == yesterday)
            #expect(dashboard.current.claimers90Days == 3 && dashboard.current.repeaters90Days == 1)
            #expect(dashboard.current.repeatClaimRate == 1.0 / 3.0)
            // The previous 30 days end on T-31: m1 (T-100 and T-50) and m3 (T-95) claimed in its 90 days.
            #expect(dashboard.previous.claimers90Days == 2 && dashboard.previous.repeaters90Days == 1)
        }
    }

    @Test("regions: by batch region and by location, and batches scanned far from their region")
    func regions() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            _ = try await DashboardRollupTests.programme(f)
            let store = DashboardStore(database: client, logger: f.logger)
            let report = try await store.regions()
            #expect(report.provinces.count == 34 && report.diversionKm == 500)
            let gd = report.provinces.first { $0.code == "GD" }!
            #expect(gd.nameZh == "广东省" && gd.nameEn == "Guangdong")
            #expect(gd.claimsByBatchRegion == 2 && gd.scansByBatchRegion == 1 && gd.claimsByLocation == 1 && gd.scansByLocation == 0)
            let bj = report.provinces.first { $0.code == "BJ" }!
            #expect(bj.claimsByBatchRegion == 0 && bj.claimsByLocation == 1)
            #expect(report.provinces.first { $0.code == "SH" }!.scansByLocation == 1)
            #expect(report.otherRegions == [.init(region: "unknown", claims: 1, scans: 2)])
            #expect(report.unlocatedScans == 2 && report.unlocatedClaims == 1 && report.scansAbroad == 0)
            #expect(
                report.diversions.map {
                    "\($0.batchId)/\($0.sku)/\($0.region)/\($0.regionProvince)/\($0.scannedIn):\($0.scans),\($0.claims)"
                } == [
                    "1/RICE/广东/GD/BJ:0,1", "1/RICE/广东/GD/SH:1,0",
                ])
            #expect(report.diversions[0].maxKm > 1800 && report.diversions[0].maxKm < 1900)
            // A higher threshold flags only Beijing; fewer asked for, fewer given.
            try await f.run("UPDATE programme_settings SET diversion_km = 1500")
            #expect(try await store.regions().diversions.map(\.scannedIn) == ["BJ"])
            try await f.run("UPDATE programme_settings SET diversion_km = 500")
            #expect(try await store.regions(diversions: 1).diversions.map(\.scannedIn) == ["BJ"])
        }
    }

    @Test("a batch region names a province by code, Chinese or English name; a location finds its nearest province")
    func provinceNames() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            for (region, code) in [
                ("GD", "GD"), ("cn-gd", "GD"), ("广东省", "GD"), ("广东", "GD"), ("guangdong", "GD"), ("Inner Mongolia", "NM"),
            ] {
                #expect(try await f.text("SELECT coalesce(province_of_region('\(region)'), '-')") == code, "\(region)")
            }
            #expect(try await f.text("SELECT coalesce(province_of_region('South'), '-')") == "-")
            #expect(try await f.text("SELECT province_at(30.57, 104.07)") == "SC") // Chengdu
            #expect(try await f.text("SELECT province_at(43.83, 87.62)") == "XJ") // Ürümqi
            #expect(try await f.text("SELECT province_at(48.86, 2.35)") == "") // Paris
            #expect(try await f.scalar("SELECT count(*) FROM provinces") == 34)
        }
    }
}
