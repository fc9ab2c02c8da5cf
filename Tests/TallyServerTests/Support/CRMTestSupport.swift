import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// What the CRM tests share: members with points, raw SQL and requests on their own connections.
extension TestApp {
    /// Claims sequence `sequence` of `batch` through the claims API for the person known to
    /// `channel` as `externalID` (and by `phone`), returning their member id.
    @discardableResult
    func claimAsMember(_ batch: Batch, _ sequence: Int64, externalID: String, phone: String? = nil, channel: String = "wechat_unionid")
        async throws -> UUID
    {
        let body = ClaimAPITests.ClaimBody(code: code(batch, sequence).text, channel: channel, externalID: externalID, phone: phone)
        let response = try await ClaimAPITests.claim(self, body)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try decode(ClaimAPITests.ClaimResult.self, response).memberId
    }

    /// A product and an active batch of `quantity` codes worth 10 points each.
    func activeBatch(quantity: Int = 100, extra: String = "") async throws -> Batch {
        try await createProduct()
        return try await createActiveBatch(#"{"sku": "RICE-5KG", "quantity": \#(quantity)\#(extra)}"#)
    }

    /// Runs SQL the API does not offer, e.g. to move time: backdating lots or claims.
    func sql(_ statement: String) async throws {
        do {
            try await database.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
        } catch {
            throw SQLFailure(statement: statement, error: String(reflecting: error))
        }
    }

    /// Turns `trigger` of `table` off or on, e.g. to backdate append-only rows. Citus alters a
    /// distributed table's trigger only with citus.enable_unsafe_triggers (a mere placeholder
    /// setting on plain PostgreSQL), set here for this statement alone.
    func setTrigger(_ trigger: String, of table: String, enabled: Bool) async throws {
        try await sql(
            "DO $$ BEGIN SET LOCAL citus.enable_unsafe_triggers = on; "
                + "ALTER TABLE \(table) \(enabled ? "ENABLE" : "DISABLE") TRIGGER \(trigger); END $$")
    }

    func int64(_ statement: String) async throws -> Int64 {
        do {
            let rows = try await database.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
            for try await n in rows.decode(Int64?.self) { return n ?? 0 }
            return 0
        } catch {
            throw SQLFailure(statement: statement, error: String(reflecting: error))
        }
    }

    /// The programme's periodic jobs, once; a database error names its SQLSTATE and message
    /// (PostgresNIO's own description of a PSQLError hides them).
    @discardableResult
    func runProgrammeJobs() async throws -> ProgrammeJobs.Report {
        do {
            return try await ProgrammeJobs(database: database, logger: TestDatabase.logger).run()
        } catch {
            throw SQLFailure(statement: "programme jobs", error: String(reflecting: error))
        }
    }

    /// The backends of this test's database waiting on a lock (only those running a statement
    /// that starts with `statement`, if given), read every 25 ms until at least `count` wait or
    /// 5 s have passed. On Citus a statement waits where the row is, in a worker's backend that
    /// carries its coordinator backend's global_pid.
    func lockWaiters(atLeast count: Int64, statement: String? = nil) async throws -> Int64 {
        let only = statement.map { " AND starts_with(query, '\($0)')" } ?? ""
        let waiters =
            ProcessInfo.processInfo.environment["TALLY_TEST_CITUS_WORKERS", default: ""].isEmpty
            ? "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            : """
            SELECT count(*) FROM citus_stat_activity a
            WHERE a.datname = current_database() AND NOT a.is_worker_query
              AND (a.wait_event_type = 'Lock' OR a.global_pid IN (
                  SELECT w.global_pid FROM citus_stat_activity w WHERE w.is_worker_query AND w.wait_event_type = 'Lock'))
            """
        var waiting: Int64 = 0
        for _ in 0..<200 {
            waiting = try await int64(waiters + only)
            if waiting >= count { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        return waiting
    }

    /// A keyed write as `scope` (a fresh Idempotency-Key unless one is given).
    func write(
        _ method: HTTPRequest.Method, _ uri: String, as scope: Scope = .crmWrite, json: String, key: String? = UUID().uuidString
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[Self.idempotencyKey] = key }
        return try await request(method, uri, as: scope, json: json, headers: headers)
    }

    /// A request on a connection of its own, so that concurrent requests really overlap.
    func requestAlone(
        _ method: HTTPRequest.Method, _ uri: String, as scope: Scope, json: String? = nil, key: String? = nil
    ) async throws -> (status: Int, body: String) {
        var headers: HTTPFields = [.authorization: "Bearer \(secrets[scope]!)", .connection: "close"]
        if json != nil { headers[.contentType] = "application/json" }
        if let key { headers[Self.idempotencyKey] = key }
        let request = TestClient.Request(
            uri, method: method, authority: "localhost", headers: headers, body: json.map { ByteBuffer(string: $0) })
        let response = try await TestClient.executeAlone(request, port: client.port!)
        return (Int(response.status.code), response.body.map { String(buffer: $0) } ?? "")
    }

    /// `requestAlone` as a client of the API does it: while the answer is 503
    /// (`database_unavailable` or `outcome_unknown`), the same request again, with the same
    /// Idempotency-Key, after a short pause, for up to 60 s. The last answer.
    func requestUntilAnswered(
        _ method: HTTPRequest.Method, _ uri: String, as scope: Scope, json: String? = nil, key: String? = nil
    ) async throws -> (status: Int, body: String) {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let answer = try await requestAlone(method, uri, as: scope, json: json, key: key)
            guard answer.status == 503, ContinuousClock.now < deadline else { return answer }
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...300)))
        }
    }

    func expectInvariants(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for finding in try await InvariantChecker(database: database, logger: TestDatabase.logger).check() {
            #expect(finding.holds, "\(finding)", sourceLocation: sourceLocation)
        }
    }

    /// Everything a refused write must leave alone.
    func snapshot() async throws -> [Int64] {
        try await [
            int64("SELECT count(*) FROM ledger_entries"), int64("SELECT coalesce(sum(balance), 0)::int8 FROM members"),
            int64("SELECT count(*) FROM members WHERE merged_into IS NOT NULL"), int64("SELECT count(*) FROM member_identities"),
            int64("SELECT coalesce(sum(remaining), 0)::int8 FROM point_lots"), int64("SELECT count(*) FROM member_merges"),
        ]
    }
}

/// A failed statement of a test, with PostgreSQL's own words (PSQLError hides them by default).
struct SQLFailure: Error, CustomStringConvertible {
    let statement: String
    let error: String
    var description: String { "\(statement)\n→ \(error)" }
}

extension TestApp {
    /// Moves every claim `interval` into the past (a test's way to make history) and rebuilds the
    /// dashboard rollups from the moved rows, with the backfill of their migration: production
    /// never moves a claim, so the triggers, which count rows as they are inserted, do not follow.
    func backdateClaims(_ interval: String, where condition: String = "true") async throws {
        try await sql("UPDATE claims SET claimed_at = \(TestApp.earlier("claimed_at", by: interval)) WHERE \(condition)")
        let migration = try String(contentsOfFile: TestDatabase.schemaDirectory + "/migrations/0015_rollups.sql", encoding: .utf8)
        guard let start = migration.range(of: "-- Backfill from what is stored") else {
            throw SQLFailure(statement: "0015", error: "no backfill")
        }
        let rollups = "rollup_days, rollup_activity, rollup_products, rollup_channels, rollup_scan_places"
        try await sql("TRUNCATE \(rollups)")
        // On Citus every worker keeps its own counts too (db/citus/distribution.sql): emptied as well.
        try await sql(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN "
                + "PERFORM run_command_on_workers('TRUNCATE \(rollups)'); END IF; END $$")
        for statement in migration[start.lowerBound...].components(separatedBy: ";\n") {
            let lines = statement.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
            guard !lines.isEmpty else { continue }
            try await sql(lines.joined(separator: "\n"))
        }
    }
}
