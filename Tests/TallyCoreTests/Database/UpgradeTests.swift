import Foundation
import Logging
import PostgresNIO
import Testing
import TallyCore
import TallyTestSupport

/// A database that already holds points when the CRM schema (0004) arrives.
@Suite("Upgrading a database that holds points")
struct UpgradeTests {
    let logger = TestDatabase.logger

    @Test("points claimed before 0004 become lots: they can be spent, expire, and tally check holds")
    func pointsBeforeLots() async throws {
        try await TestDatabase.withFresh(migrated: false) { client, _ in
            let migrations = try Migration.load(directory: TestDatabase.migrationsDirectory)
            let migrator = Migrator(client: client, logger: logger)
            _ = try await migrator.migrate(migrations.filter { $0.version <= 3 })
            try await client.query("INSERT INTO products (sku, name, default_points) VALUES ('RICE', 'Rice', 10)", logger: logger)
            try await client.query("INSERT INTO batches (product_id, kid, first_serial, quantity, points_per_code) VALUES (1, 1, 0, 10, 10)", logger: logger)
            try await client.query("INSERT INTO batch_state_changes (batch_id, kid, serials, state) VALUES (1, 1, int8range(0, 10), 'active')", logger: logger)
            let member = UUID()
            try await client.query("INSERT INTO members (id) VALUES (\(member))", logger: logger)
            for serial in 0..<3 {
                try await client.query("""
                    SELECT outcome FROM claim_code(1::int2, \(Int64(serial)), \(member), 'web', 0, 'Asia/Shanghai', NULL, NULL, NULL, NULL, NULL)
                    """, logger: logger)
            }

            _ = try await migrator.migrate(migrations)
            #expect(try await scalar(client, "SELECT sum(remaining)::int8 FROM point_lots") == 30)
            let debit = try await client.query("SELECT outcome, balance FROM adjust_points(\(member), -25::int8, 'upgrade test', 'test')", logger: logger)
            for try await (outcome, balance) in debit.decode((String, Int64).self) {
                #expect(outcome == "adjusted" && balance == 5)
            }
            for finding in try await InvariantChecker(database: client, logger: logger).check() {
                #expect(finding.holds, "\(finding)")
            }
        }
    }

    private func scalar(_ client: PostgresClient, _ sql: String) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int64?.self) { return value ?? 0 }
        return 0
    }
}
