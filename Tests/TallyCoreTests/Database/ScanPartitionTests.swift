import Foundation
import PostgresNIO
import TallyTestSupport
import Testing

@testable import TallyCore

/// scans partitioned by month (db/migrations/0018_scan_partitions.sql) and the jobs that keep
/// the partitions: ensure_scan_partitions (this month and the next two, rows moved out of
/// scans_default) and drop_old_scan_partitions (programme_settings.scan_retention_months).
/// Months are counted back from this one in SQL, so the tests hold whenever they run.
@Suite("Scan partitions and retention")
struct ScanPartitionTests {
    /// The partition name of the month `monthsAgo` before this one (negative: ahead), in UTC.
    static func month(_ monthsAgo: Int) -> String {
        "to_char(date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => \(monthsAgo)), '\"scans_\"YYYY_MM')"
    }

    /// The instant `monthsAgo` months before the start of this month (UTC), plus `plus`.
    static func monthStart(_ monthsAgo: some CustomStringConvertible, plus: String = "0") -> String {
        "((date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => \(monthsAgo)) + interval '\(plus)') AT TIME ZONE 'UTC')"
    }

    /// Two scans in each of the last `months` months (this one included): a genuine code scanned
    /// by `member` (folded into its first and last scan as ScanStore does, through note_scans) on
    /// the month's 15th (or now, if sooner), and a forged code on its 2nd.
    static func history(_ f: InsightsFixture, member: UUID, months: Int) async throws {
        try await f.run(
            """
            WITH recorded AS (
                INSERT INTO scans (scanned_at, result, kid, serial, member_id)
                SELECT least(\(monthStart("k", plus: "14 days")), now() - interval '1 minute'),
                       'valid', 1, k, '\(member)'
                FROM generate_series(0, \(months - 1)) k
                RETURNING member_id, scanned_at)
            SELECT note_scans(array_agg(member_id), array_agg(scanned_at)) FROM recorded
            """)
        try await f.run(
            """
            INSERT INTO scans (scanned_at, result, input)
            SELECT least(\(monthStart("k", plus: "1 day")), now() - interval '1 minute'), 'forged', 'FAKE'
            FROM generate_series(0, \(months - 1)) k
            """)
    }

    /// Every check of `tally check` holds.
    static func checkHolds(_ f: InsightsFixture) async throws {
        for finding in try await InvariantChecker(database: f.client, logger: f.logger).check() {
            #expect(finding.holds, "\(finding)")
        }
    }

    static func partitions(_ f: InsightsFixture) async throws -> [String] {
        let text = try await f.text(
            "SELECT coalesce(string_agg(partition_name, ' ' ORDER BY starts_at NULLS LAST), '') FROM scan_partitions()")
        return text.split(separator: " ").map(String.init)
    }

    /// The partitions of scans that hold a row matching `condition`, by name, each asked in turn
    /// (on Citus a row's tableoid is its shard's on a worker, so it cannot be asked directly).
    static func partitions(_ f: InsightsFixture, holding condition: String) async throws -> String {
        var holding: [String] = []
        for partition in try await partitions(f)
        where try await f.scalar("SELECT count(*) FROM \(partition) WHERE \(condition)") > 0 {
            holding.append(partition)
        }
        return holding.joined(separator: ",")
    }

    static func names(_ f: InsightsFixture, _ monthsAgo: some Sequence<Int>) async throws -> [String] {
        var names: [String] = []
        for k in monthsAgo { names.append(try await f.text("SELECT \(month(k))")) }
        return names
    }

    @Test("the jobs create this month's partition and the next two, once; a second run creates none")
    func createdAhead() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            let jobs = ProgrammeJobs(database: client, logger: f.logger)
            _ = try await jobs.run()
            let ahead = try await Self.names(f, [0, -1, -2])
            let made = try await Self.partitions(f)
            #expect(Set(ahead).isSubset(of: made))
            // The next two months' gone (as if the jobs had not run for a while): made again.
            try await f.run("DROP TABLE \(ahead[1]), \(ahead[2])")
            let report = try await jobs.run()
            #expect(report.scanPartitionsCreated == [ahead[1], ahead[2]] && report.scansMovedFromDefault == 0)
            #expect(report.scanPartitionsDropped.isEmpty)
            let again = try await jobs.run()
            #expect(again.scanPartitionsCreated.isEmpty && again.scanPartitionsDropped.isEmpty)
            #expect(try await Self.partitions(f).last == "scans_default")
            // Each partition holds one calendar month in UTC, and has the parent's indexes.
            #expect(
                try await f.scalar(
                    """
                    SELECT count(*) FROM scan_partitions()
                    WHERE partition_name = \(Self.month(-1)) AND starts_at = \(Self.monthStart(-1)) AND ends_at = \(Self.monthStart(-2))
                    """) == 1)
            #expect(
                try await f.scalar(
                    """
                    SELECT count(*) FROM pg_indexes WHERE tablename = \(Self.month(-2))
                    """) == 5)
        }
    }

    @Test("while another run holds the partitions' lock, the jobs skip the partitions at once, without an error; the next run makes them")
    func lockTakenElsewhere() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            let jobs = ProgrammeJobs(database: client, logger: f.logger)
            _ = try await jobs.run()
            let ahead = try await Self.names(f, [-1, -2])
            try await f.run("DROP TABLE \(ahead[0]), \(ahead[1])")
            // Another server's run at work: it holds the advisory lock of both functions.
            try await client.withConnection { other in
                try await other.query("BEGIN", logger: f.logger)
                try await other.query("SELECT pg_advisory_xact_lock(32758215602691952)", logger: f.logger)
                // Not queued behind it until lock_timeout (a second) fails the run.
                let report = try await jobs.run()
                #expect(report.scanPartitionsCreated.isEmpty && report.scanPartitionsDropped.isEmpty)
                try await other.query("COMMIT", logger: f.logger)
            }
            #expect(try await jobs.run().scanPartitionsCreated == ahead)
        }
    }

    @Test("scans older than the retention go by whole months; the rows left, the rollups and tally check after 24, 1 and 0")
    func retention() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            let member = try await f.member("+8613800000001")
            try await Self.history(f, member: member, months: 30)
            let jobs = ProgrammeJobs(database: client, logger: f.logger)
            let programme = ProgrammeStore(database: client, logger: f.logger)
            #expect(try await programme.get().scanRetentionMonths == 24, "the default")
            let first = try await jobs.run()
            // Months 25 to 29 before this one end before the retention's 24 whole months.
            let tooOld = try await Self.names(f, (25...29).reversed())
            #expect(first.scanPartitionsDropped == tooOld)
            #expect(try await f.scalar("SELECT count(*) FROM scans") == 25 * 2)
            #expect(try await f.scalar("SELECT count(*) FROM scans_default") == 0)
            let oldestKept = try await Self.names(f, [24])
            #expect(try await Self.partitions(f).first == oldestKept.first)
            #expect(
                try await f.scalar("SELECT count(*) FROM programme_settings WHERE scans_dropped_before = \(Self.monthStart(24))") == 1)
            // The dashboard still counts every scan; the member's first scan is still the oldest.
            #expect(try await f.scalar("SELECT sum(scans)::int8 FROM \(InsightsFixture.rows(of: "rollup_days")) r") == 30 * 2)
            #expect(try await f.scalar("SELECT sum(forged_scans)::int8 FROM \(InsightsFixture.rows(of: "rollup_days")) r") == 30)
            #expect(
                try await f.scalar(
                    "SELECT count(*) FROM members WHERE first_scan_at = \(Self.monthStart(29, plus: "14 days"))") == 1)
            try await Self.checkHolds(f)
            #expect(try await jobs.run().scanPartitionsDropped.isEmpty, "a second run drops nothing")

            var rules = try await programme.get()
            rules.scanRetentionMonths = 1
            #expect(try await programme.replace(with: rules).scanRetentionMonths == 1)
            let second = try await jobs.run()
            let olderThanOne = try await Self.names(f, (2...24).reversed())
            #expect(second.scanPartitionsDropped == olderThanOne)
            #expect(try await f.scalar("SELECT count(*) FROM scans") == 2 * 2)
            #expect(try await f.scalar("SELECT sum(scans)::int8 FROM \(InsightsFixture.rows(of: "rollup_days")) r") == 30 * 2)
            try await Self.checkHolds(f)

            rules.scanRetentionMonths = 0
            _ = try await programme.replace(with: rules)
            #expect(try await jobs.run().scanPartitionsDropped.isEmpty, "0 keeps every scan")
            #expect(try await f.scalar("SELECT count(*) FROM scans") == 2 * 2)
        }
    }

    @Test(
        "a scan at the first instant of a month is in that month's partition, one a microsecond before in the month before; dropping that one leaves tally check holding"
    )
    func monthBoundary() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            // The 1st at 00:00 UTC is 08:00 in Shanghai, the rollups' zone: both scans count on the
            // same rollup day, which the retention then cuts in two.
            try await f.run(
                """
                INSERT INTO scans (scanned_at, result, input) VALUES
                    (\(Self.monthStart(24)), 'forged', 'AT'), (\(Self.monthStart(24)) - interval '1 microsecond', 'forged', 'BEFORE')
                """)
            let jobs = ProgrammeJobs(database: client, logger: f.logger)
            let programme = ProgrammeStore(database: client, logger: f.logger)
            var rules = try await programme.get()
            rules.scanRetentionMonths = 0
            _ = try await programme.replace(with: rules)
            let created = try await jobs.run()
            let at = try await Self.names(f, [24])[0]
            let before = try await Self.names(f, [25])[0]
            #expect(created.scanPartitionsCreated.starts(with: [before, at]) && created.scansMovedFromDefault == 2)
            #expect(try await Self.partitions(f, holding: "input = 'AT'") == at)
            #expect(try await Self.partitions(f, holding: "input = 'BEFORE'") == before)
            #expect(try await f.scalar("SELECT count(DISTINCT day) FROM \(InsightsFixture.rows(of: "rollup_days")) r WHERE scans > 0") == 1)
            try await Self.checkHolds(f)

            rules.scanRetentionMonths = 24
            _ = try await programme.replace(with: rules)
            #expect(try await jobs.run().scanPartitionsDropped == [before])
            #expect(try await f.text("SELECT string_agg(input, ',') FROM scans") == "AT")
            #expect(try await f.scalar("SELECT sum(forged_scans)::int8 FROM \(InsightsFixture.rows(of: "rollup_days")) r") == 2)
            try await Self.checkHolds(f)
        }
    }

    @Test("a claim in a month without a partition succeeds: its scan waits in scans_default until the jobs create the month and move it")
    func claimWithoutPartition() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            let member = try await f.member("+8613800000001")
            let current = try await Self.names(f, [0]).first!
            try await f.run("DROP TABLE IF EXISTS \(current)")
            #expect(try await f.claim(1, by: member) == "claimed")
            #expect(try await f.claim(2, by: member) == "claimed")
            #expect(try await f.scalar("SELECT count(*) FROM scans_default WHERE result = 'claimed'") == 2)
            let report = try await ProgrammeJobs(database: client, logger: f.logger).run()
            #expect(report.scanPartitionsCreated.contains(current) && report.scansMovedFromDefault == 2)
            #expect(try await f.scalar("SELECT count(*) FROM scans_default") == 0)
            #expect(try await Self.partitions(f, holding: "true") == current)
            #expect(try await f.claim(3, by: member) == "claimed")
            #expect(try await f.scalar("SELECT count(*) FROM scans WHERE result = 'claimed'") == 3)
            try await Self.checkHolds(f)
        }
    }

    @Test(
        "a retention out of 0 to 120 is refused with invalid_scan_retention_months and changes nothing; none given keeps the one in force")
    func badRetention() async throws {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            let programme = ProgrammeStore(database: client, logger: f.logger)
            var rules = try await programme.get()
            rules.scanRetentionMonths = 6
            rules.pointsValidMonths = 3
            let saved = try await programme.replace(with: rules)
            #expect(saved.scanRetentionMonths == 6)
            for months in [-1, 121, Int(Int32.max) + 1] {
                var bad = saved
                bad.scanRetentionMonths = months
                bad.pointsValidMonths = 9
                do {
                    _ = try await programme.replace(with: bad)
                    Issue.record("\(months) months accepted")
                } catch let error as StoreError {
                    #expect(error.code == .invalidScanRetentionMonths && error.message.contains("0 (keep forever) to 120"))
                }
                #expect(try await programme.get() == saved, "nothing changed")
            }
            var unnamed = saved
            unnamed.scanRetentionMonths = nil
            unnamed.pointsValidMonths = 4
            let kept = try await programme.replace(with: unnamed)
            #expect(kept.scanRetentionMonths == 6 && kept.pointsValidMonths == 4)
            // The table refuses it too, whoever writes it.
            await #expect(throws: PSQLError.self) {
                try await f.run("UPDATE programme_settings SET scan_retention_months = 121")
            }
            // The job's own bound: months ahead 0 to 12.
            let before = try await Self.partitions(f)
            do {
                _ = try await f.scalar("SELECT count(*) FROM ensure_scan_partitions(13)")
                Issue.record("13 months ahead accepted")
            } catch {
                #expect(DatabaseError(error)?.sqlState == "22023")
                #expect(error.databaseDescription.contains("months ahead is 0 to 12, not 13"))
            }
            #expect(try await Self.partitions(f) == before)
        }
    }

    /// A claim through claim_code in a database whose scans have `months` monthly partitions
    /// holding rows (this month's and those before it; none ahead, none older): its outcome, the partitions of
    /// scans (and their indexes' tables) the claim's transaction locked, and the partitions.
    static func claim(withPartitions months: Int) async throws -> (outcome: String, touched: [String], partitions: Int) {
        try await TestDatabase.withFresh { client, _ in
            let f = try await InsightsFixture.make(client)
            let member = try await f.member("+8613800000001")
            try await history(f, member: member, months: months)
            _ = try await f.scalar("SELECT count(*) FROM ensure_scan_partitions(0)")
            try await f.run(
                """
                DO $$ DECLARE p text; BEGIN
                    FOR p IN SELECT partition_name FROM scan_partitions()
                             WHERE starts_at > now() OR ends_at <= \(monthStart(months - 1)) LOOP
                        EXECUTE format('DROP TABLE %I', p);
                    END LOOP;
                END $$
                """)
            let partitions = Int(try await f.scalar("SELECT count(*) FROM scan_partitions() WHERE starts_at IS NOT NULL"))
            let logger = f.logger
            return try await client.transaction(logger: logger) { connection in
                var outcome = ""
                let rows = try await connection.query(
                    """
                    SELECT outcome FROM claim_code(1::int2, 500::int8, \(member), 'web', 0, 'Asia/Shanghai', NULL, NULL, NULL, NULL, NULL, NULL)
                    """, logger: logger)
                for try await value in rows.decode(String.self) { outcome = value }
                // Every relation this transaction locked that is a partition of scans, or an
                // index on one (named by its table): what the claim touched of scans.
                let locked = try await connection.query(
                    """
                    SELECT coalesce(string_agg(DISTINCT t.relname, ' '), '')
                    FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                    LEFT JOIN pg_index x ON x.indexrelid = c.oid
                    JOIN pg_class t ON t.oid = coalesce(x.indrelid, c.oid)
                    JOIN pg_inherits i ON i.inhrelid = t.oid AND i.inhparent = 'scans'::regclass
                    WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
                    """, logger: logger)
                var touched = ""
                for try await value in locked.decode(String.self) { touched = value }
                if try await f.isCitus() {
                    // On Citus the coordinator locks the shell of every partition (no rows there);
                    // the rows are on a worker: what this open transaction locked there, asked
                    // from another session, partition shards named without their shard id.
                    touched = try await f.text(
                        """
                        SELECT coalesce(string_agg(w.result, ' ' ORDER BY w.result) FILTER (WHERE w.result <> ''), '')
                        FROM run_command_on_workers($q$
                            SELECT coalesce(string_agg(DISTINCT regexp_replace(t.relname, '_[0-9]+$', ''), ' '), '')
                            FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                            LEFT JOIN pg_index x ON x.indexrelid = c.oid
                            JOIN pg_class t ON t.oid = coalesce(x.indrelid, c.oid)
                            JOIN pg_inherits i ON i.inhrelid = t.oid JOIN pg_class p ON p.oid = i.inhparent
                            WHERE l.locktype = 'relation' AND l.pid <> pg_backend_pid() AND p.relname ~ '^scans_[0-9]+$'
                              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                        $q$) w
                        """)
                }
                return (outcome, touched.split(separator: " ").map(String.init), partitions)
            }
        }
    }

    @Test("a claim touches one partition of scans, this month's, with 24 months of partitions as with 1")
    func claimCostsOnePartition() async throws {
        let one = try await Self.claim(withPartitions: 1)
        let many = try await Self.claim(withPartitions: 24)
        #expect(one.partitions == 1 && many.partitions == 24)
        #expect(one.outcome == "claimed" && many.outcome == "claimed")
        #expect(one.touched.count == 1 && one.touched.first?.hasPrefix("scans_2") == true, "\(one.touched)")
        #expect(many.touched == one.touched, "the same partition: this month's")
    }
}
