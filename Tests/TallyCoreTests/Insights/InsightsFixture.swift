import Foundation
import Logging
import PostgresNIO
import TallyCore
import TallyTestSupport

/// A programme for the dashboard tests, written through the real SQL functions: products RICE
/// (10 points a code, batch 1 in 广东, serials 0..<1000) and OIL (5 points, batch 2 with no
/// region, serials 1000..<2000), both active under kid 1.
struct InsightsFixture {
    let client: PostgresClient
    var logger: Logger { TestDatabase.logger }

    static func make(_ client: PostgresClient) async throws -> InsightsFixture {
        let fixture = InsightsFixture(client: client)
        try await fixture.run("INSERT INTO products (sku, name, default_points) VALUES ('RICE', 'Rice', 10), ('OIL', 'Oil', 5)")
        try await fixture.run(
            """
            INSERT INTO batches (product_id, kid, first_serial, quantity, points_per_code, region)
            VALUES (1, 1, 0, 1000, 10, '广东'), (2, 1, 1000, 1000, 5, NULL)
            """)
        try await fixture.run(
            """
            INSERT INTO batch_state_changes (batch_id, kid, serials, state)
            VALUES (1, 1, int8range(0, 1000), 'active'), (2, 1, int8range(1000, 2000), 'active')
            """)
        return fixture
    }

    func run(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    func member(_ phone: String) async throws -> UUID {
        let rows = try await client.query("SELECT create_member('phone', \(phone))", logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        throw Unexpected.noRow
    }

    /// claim_code as the landing page calls it, with a shared location when given.
    @discardableResult
    func claim(_ serial: Int64, by member: UUID, channel: String = "web", at place: (Double, Double)? = nil) async throws -> String {
        let rows = try await client.query(
            """
            SELECT outcome FROM claim_code(1::int2, \(serial), \(member), \(channel), 0, 'Asia/Shanghai', NULL, NULL,
                                           \(place?.0), \(place?.1), NULL, NULL)
            """, logger: logger)
        for try await outcome in rows.decode(String.self) { return outcome }
        throw Unexpected.noRow
    }

    func scalar(_ sql: String) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int64?.self) { return value ?? 0 }
        return 0
    }

    func text(_ sql: String) async throws -> String {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(String.self) { return value }
        throw Unexpected.noRow
    }

    /// SQL for a dashboard rollup table's rows as a reader sees them (rollup_rows): on Citus each
    /// node keeps its own counts, so the coordinator's own table holds only some of them.
    static func rows(of table: String) -> String {
        "(SELECT (jsonb_populate_record(NULL::\(table), j)).* FROM rollup_rows('\(table)', NULL, NULL) j)"
    }

    /// Whether the database is a Citus coordinator.
    func isCitus() async throws -> Bool {
        try await scalar("SELECT count(*) FROM pg_extension WHERE extname = 'citus'") > 0
    }

    /// Runs a statement on a node-local table (the dashboard rollups) here and, on Citus, on every
    /// worker: where the rows are.
    func runOnEveryNode(_ sql: String) async throws {
        try await run(sql)
        guard try await isCitus() else { return }
        let refused = try await scalar("SELECT count(*) FROM run_command_on_workers(\(Self.literal(sql))) w WHERE NOT w.success")
        if refused > 0 { throw Unexpected.refusedByWorker(sql) }
    }

    /// How many rows a node-local table has on all nodes together.
    func countOnEveryNode(_ table: String) async throws -> Int64 {
        let here = try await scalar("SELECT count(*) FROM \(table)")
        guard try await isCitus() else { return here }
        return here + (try await scalar("SELECT sum(w.result::int8)::int8 FROM run_command_on_workers('SELECT count(*) FROM \(table)') w"))
    }

    private static func literal(_ sql: String) -> String { "'" + sql.replacingOccurrences(of: "'", with: "''") + "'" }

    /// The I10 finding of tally check.
    func rollupsHold() async throws -> InvariantChecker.Finding {
        let findings = try await InvariantChecker(database: client, logger: logger).check()
        return findings.first { $0.invariant.hasPrefix("I10") }!
    }

    enum Unexpected: Error {
        case noRow
        case refusedByWorker(String)
    }
}
