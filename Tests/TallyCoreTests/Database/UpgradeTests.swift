import Foundation
import Logging
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// Databases migrated by earlier releases: 0001–0009 as shipped before db/functions (they
/// defined the functions themselves; kept in Fixtures/migrations-0009), with or without points.
@Suite("Upgrading a database migrated by an earlier release")
struct UpgradeTests {
    let logger = TestDatabase.logger

    /// 0001–0009 as the release before db/functions shipped them: the fixture holds those since
    /// rewritten, db/migrations the others (0002, 0009), unchanged.
    static func shippedMigrations() throws -> [Migration] {
        let rewritten = try Migration.load(
            directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Fixtures/migrations-0009").path)
        let unchanged = try Schema.load(directory: TestDatabase.schemaDirectory).migrations
            .filter { migration in migration.version <= 9 && !rewritten.contains { $0.version == migration.version } }
        return (rewritten + unchanged).sorted { $0.version < $1.version }
    }

    @Test("the fixture is what shipped: each rewritten migration's former checksum is its checksum")
    func fixtureIsShipped() throws {
        let shipped = try Self.shippedMigrations()
        let current = try Schema.load(directory: TestDatabase.schemaDirectory).migrations
        #expect(shipped.map(\.version) == Array(1...9))
        for migration in shipped {
            let now = try #require(current.first { $0.version == migration.version })
            #expect(now.sql == migration.sql || Migration.formerChecksums[migration.version] == [migration.checksum], "\(migration.name)")
        }
        #expect(
            Set(Migration.formerChecksums.keys)
                == Set(
                    shipped.filter { migration in
                        current.first { $0.version == migration.version }?.sql != migration.sql
                    }.map(\.version)))
    }

    @Test("a database migrated by 0001–0009 as shipped migrates cleanly to the same schema and functions as a fresh one")
    func sameSchemaBothWays() async throws {
        let schema = try Schema.load(directory: TestDatabase.schemaDirectory)
        let fresh = try await TestDatabase.withFresh { client, _ in try await SchemaCatalogue.of(client) }
        let upgraded = try await TestDatabase.withFresh(migrated: false) { client, _ in
            let migrator = Migrator(client: client, logger: logger)
            let old = try await migrator.migrate(Schema(migrations: Self.shippedMigrations(), functions: []))
            #expect(old.migrations.count == 9)
            let applied = try await migrator.migrate(schema)
            #expect(applied.rewritten.map(\.version) == Migration.formerChecksums.keys.sorted())
            #expect(applied.migrations.map(\.version) == schema.migrations.map(\.version).filter { $0 > 9 })
            #expect(applied.functions.map(\.name) == schema.functions.map(\.name))
            #expect(try await migrator.migrate(schema).isEmpty)
            return try await SchemaCatalogue.of(client)
        }
        #expect(Set(fresh.parts.keys) == Set(SchemaCatalogue.queries.keys))
        #expect(fresh.parts["functions"]?.count == schema.functions.count)
        #expect(fresh.parts["triggers"]?.count == 10) // 0014 added one, 0015 the four rollup triggers
        for (part, rows) in fresh.parts.sorted(by: { $0.key < $1.key }) {
            let other = upgraded.parts[part] ?? []
            #expect(
                rows == other, "\(part) differ: fresh only \(Set(rows).subtracting(other)), upgraded only \(Set(other).subtracting(rows))")
        }
    }

    @Test("an API claim answered by 0009's api_claim (status and body stored with its key) replays the same after the upgrade")
    func storedAnswerReplays() async throws {
        try await TestDatabase.withFresh(migrated: false) { client, _ in
            let migrator = Migrator(client: client, logger: logger)
            _ = try await migrator.migrate(Schema(migrations: Self.shippedMigrations(), functions: []))
            let key = UUID()
            try await client.query(
                """
                INSERT INTO api_keys (id, name, prefix, secret_hash, scopes)
                VALUES (\(key), 'upgrade', 'tly_upgrade0', sha256('secret'), ARRAY['claim'])
                """, logger: logger)
            try await client.query("INSERT INTO products (sku, name, default_points) VALUES ('RICE', 'Rice', 10)", logger: logger)
            try await client.query(
                "INSERT INTO batches (product_id, kid, first_serial, quantity, points_per_code) VALUES (1, 1, 0, 10, 10)", logger: logger)
            try await client.query(
                "INSERT INTO batch_state_changes (batch_id, kid, serials, state) VALUES (1, 1, int8range(0, 10), 'active')", logger: logger)
            let hash = ByteBuffer(bytes: Array(repeating: 7, count: 32))
            var before: (Int, ByteBuffer)?
            for try await (status, body, replayed) in try await client.query(
                """
                SELECT status, body, replayed FROM api_claim(\(key), 'key:tly_upgrade0', 'k1', \(hash), false, 'wechat_unionid', 'wx-1',
                    NULL, 1::int2, 4::int8, 'CODE-TEXT', 0, 'Asia/Shanghai', NULL, NULL, NULL, NULL)
                """, logger: logger
            ).decode((Int, ByteBuffer, Bool).self) {
                #expect(!replayed)
                before = (status, body)
            }
            let (status, body) = try #require(before)
            #expect(status == 201 && String(buffer: body).contains("\"code\":\"CODE-TEXT\""))

            _ = try await migrator.migrate(Schema.load(directory: TestDatabase.schemaDirectory))
            var replays = 0
            for try await (outcome, member, storedStatus, storedBody) in try await client.query(
                """
                SELECT outcome, member_id, stored_status, stored_body FROM api_claim(\(key), 'key:tly_upgrade0', 'k1', \(hash), false,
                    'wechat_unionid', 'wx-1', NULL, 1::int2, 4::int8, 0, 'Asia/Shanghai', NULL, NULL, NULL, NULL)
                """, logger: logger
            ).decode((String, UUID?, Int?, ByteBuffer?).self) {
                #expect(outcome == "replayed" && member == nil && storedStatus == 201 && storedBody == body)
                replays += 1
            }
            #expect(replays == 1)
            #expect(try await scalar(client, "SELECT count(*)::int8 FROM claims") == 1)
        }
    }

    @Test("points claimed before 0004 become lots: they can be spent, expire, and tally check holds")
    func pointsBeforeLots() async throws {
        try await TestDatabase.withFresh(migrated: false) { client, _ in
            let migrator = Migrator(client: client, logger: logger)
            _ = try await migrator.migrate(Schema(migrations: Self.shippedMigrations().filter { $0.version <= 3 }, functions: []))
            try await client.query("INSERT INTO products (sku, name, default_points) VALUES ('RICE', 'Rice', 10)", logger: logger)
            try await client.query(
                "INSERT INTO batches (product_id, kid, first_serial, quantity, points_per_code) VALUES (1, 1, 0, 10, 10)", logger: logger)
            try await client.query(
                "INSERT INTO batch_state_changes (batch_id, kid, serials, state) VALUES (1, 1, int8range(0, 10), 'active')", logger: logger)
            let member = UUID()
            try await client.query("INSERT INTO members (id) VALUES (\(member))", logger: logger)
            for serial in 0..<3 {
                try await client.query(
                    """
                    SELECT outcome FROM claim_code(1::int2, \(Int64(serial)), \(member), 'web', 0, 'Asia/Shanghai', NULL, NULL, NULL, NULL, NULL)
                    """, logger: logger)
            }

            _ = try await migrator.migrate(Schema.load(directory: TestDatabase.schemaDirectory))
            #expect(try await scalar(client, "SELECT sum(remaining)::int8 FROM point_lots") == 30)
            let debit = try await client.query(
                "SELECT outcome, balance FROM adjust_points(\(member), -25::int8, 'upgrade test', 'test')", logger: logger)
            for try await (outcome, balance) in debit.decode((String, Int64).self) {
                #expect(outcome == "adjusted" && balance == 5)
            }
            for finding in try await InvariantChecker(database: client, logger: logger).check() {
                #expect(finding.holds, "\(finding)")
            }
        }
    }

    @Test(
        "claims, scans, lots and merges stored before 0011 are backfilled into the member rollups, a survivor's with its absorbed member's")
    func rollupsBackfilled() async throws {
        try await TestDatabase.withFresh(migrated: false) { client, _ in
            let migrator = Migrator(client: client, logger: logger)
            let schema = try Schema.load(directory: TestDatabase.schemaDirectory)
            _ = try await migrator.migrate(Schema(migrations: schema.migrations.filter { $0.version <= 10 }, functions: []))
            let (survivor, absorbed) = (UUID(), UUID())
            for sql: PostgresQuery in [
                "INSERT INTO products (sku, name, default_points) VALUES ('RICE', 'Rice', 10), ('OIL', 'Oil', 5)",
                """
                INSERT INTO batches (product_id, kid, first_serial, quantity, points_per_code, region)
                VALUES (1, 1, 0, 10, 10, 'east'), (2, 1, 10, 10, 5, NULL)
                """,
                "INSERT INTO members (id) VALUES (\(survivor)), (\(absorbed))",
                "UPDATE members SET merged_into = \(survivor) WHERE id = \(absorbed)",
                """
                WITH c (member_id, serial, channel) AS (
                    VALUES (\(survivor)::uuid, 0::int8, 'web'), (\(survivor), 11, 'tmall'), (\(absorbed), 1, 'jd'), (\(absorbed), 12, 'jd')),
                e AS (
                    INSERT INTO ledger_entries (member_id, kind, points, balance_after, kid, serial)
                    SELECT c.member_id, 'claim', b.points_per_code, b.points_per_code, 1, c.serial
                    FROM c JOIN batches b ON b.serials @> c.serial RETURNING member_id, id, serial, points)
                INSERT INTO claims (kid, serial, batch_id, member_id, ledger_entry_id, points, channel)
                SELECT 1, e.serial, b.id, e.member_id, e.id, e.points, c.channel
                FROM e JOIN c ON c.serial = e.serial JOIN batches b ON b.serials @> e.serial
                """,
                """
                INSERT INTO scans (scanned_at, result, member_id) VALUES
                    ('2026-01-01T00:00:00Z', 'valid', \(absorbed)), ('2026-02-01T00:00:00Z', 'claimed', \(survivor)),
                    ('2026-03-01T00:00:00Z', 'valid', NULL)
                """,
                """
                INSERT INTO point_lots (member_id, ledger_entry_id, source, points, remaining, expires_at) VALUES
                    (\(survivor), 1, 'claim', 10, 10, now() + interval '20 days'), (\(survivor), 2, 'claim', 10, 4, now() + interval '20 days'),
                    (\(survivor), 3, 'claim', 5, 0, now() + interval '40 days'), (\(survivor), 4, 'adjustment', 5, 5, NULL)
                """,
            ] {
                try await client.query(sql, logger: logger)
            }

            _ = try await migrator.migrate(schema)
            let rows = try await client.query(
                """
                SELECT claims_by_channel::text, claims_by_region::text, claims_by_product::text, first_scan_at, last_scan_at
                FROM members m ORDER BY merged_into NULLS FIRST
                """, logger: logger)
            var found: [(String, String, String, Date?, Date?)] = []
            for try await row in rows.decode((String, String, String, Date?, Date?).self) { found.append(row) }
            try #require(found.count == 2)
            #expect(found[0].0 == #"{"jd": 2, "web": 1, "tmall": 1}"# && found[0].1 == #"{"east": 2, "unknown": 2}"#)
            #expect(found[0].2 == #"{"1": 2, "2": 2}"#)
            #expect(found[0].3 == RFC3339.date(from: "2026-01-01T00:00:00Z") && found[0].4 == RFC3339.date(from: "2026-02-01T00:00:00Z"))
            #expect(try await scalar(client, "SELECT points FROM points_expiring('\(survivor)', interval '30 days')") == 14)
            #expect(try await scalar(client, "SELECT count(*) FROM member_points_expiring") == 1)
            #expect(found[1].0 == "{}" && found[1].1 == "{}" && found[1].2 == "{}" && found[1].3 == nil && found[1].4 == nil)
            let rollups = try await InvariantChecker(database: client, logger: logger).check().first { $0.invariant.hasPrefix("I7") }
            #expect(rollups?.holds == true, "\(String(describing: rollups))")
        }
    }

    private func scalar(_ client: PostgresClient, _ sql: String) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int64?.self) { return value ?? 0 }
        return 0
    }
}
