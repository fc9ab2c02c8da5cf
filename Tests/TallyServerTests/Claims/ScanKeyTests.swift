import Foundation
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

/// Scans are keyed by their code (code_key, db/migrations/0021_scans_by_code.sql): on Citus a
/// claim's own scan is stored with its claim, so a claim needs no worker but its member's, its
/// code's and its identity's.
@Suite("Scans keyed by their code")
struct ScanKeyTests {
    @Test("a claim's scan and a recorded scan of a code are keyed by its serial; a scan of no code by a number of its own")
    func keys() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let member = try await MemberStore(database: app.database, logger: TestDatabase.logger).findOrCreate(
                .phone(PhoneNumber("13800138000")))
            let claimed = app.code(batch, 3)
            _ = try await ClaimStore(database: app.database, logger: TestDatabase.logger).claim(
                claimed, for: member, context: .init(channel: "web"))
            let seen = app.code(batch, 4)
            try await ScanStore(database: app.database, logger: TestDatabase.logger).insert([
                Scan(result: "valid", kid: Int16(seen.kid), serial: Int64(seen.serial)),
                Scan(result: "forged", input: "FAKE-1"),
                Scan(result: "forged", input: "FAKE-2"),
            ])
            let rows = try await app.database.query(
                "SELECT result, serial, code_key FROM scans ORDER BY id", logger: TestDatabase.logger)
            var keys: [(String, Int64?, Int64)] = []
            for try await row in rows.decode((String, Int64?, Int64).self) { keys.append(row) }
            #expect(keys.count == 4)
            #expect(
                keys.filter { $0.1 != nil }.map { [$0.1!, $0.2] } == [
                    [Int64(claimed.serial), Int64(claimed.serial)], [Int64(seen.serial), Int64(seen.serial)],
                ])
            for (_, serial, key) in keys where serial == nil {
                #expect((0..<(Int64(1) << 40)).contains(key), "a scan of no code is keyed in the serials' range")
            }

            // On Citus: the claim's scan is on the claim's shard's worker (co-located).
            let citus = try await app.database.query(
                "SELECT count(*)::int FROM pg_extension WHERE extname = 'citus'", logger: TestDatabase.logger)
            for try await n in citus.decode(Int.self) where n == 1 {
                let nodes = try await app.database.query(
                    """
                    SELECT (SELECT array_agg(p.groupid) FROM pg_dist_placement p
                            WHERE p.shardid = get_shard_id_for_distribution_column('claims', \(Int64(claimed.serial)))),
                           (SELECT array_agg(p.groupid) FROM pg_dist_placement p
                            WHERE p.shardid = get_shard_id_for_distribution_column('scans', \(Int64(claimed.serial))))
                    """, logger: TestDatabase.logger)
                for try await (claimNodes, scanNodes) in nodes.decode(([Int32], [Int32]).self) {
                    #expect(claimNodes == scanNodes)
                }
            }
        }
    }

}
