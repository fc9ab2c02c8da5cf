import Foundation
import Logging
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

@Suite("Schema guarantees enforced by the database itself")
struct SchemaTests {
    let logger = TestDatabase.logger

    private func insertProduct(_ client: PostgresClient) async throws {
        try await client.query("INSERT INTO products (sku, name, default_points) VALUES ('RICE-5KG', 'Rice 5 kg', 10)", logger: logger)
    }

    private func insertBatch(_ client: PostgresClient, kid: Int, first: Int64, quantity: Int64) async throws {
        try await client.query(
            """
            INSERT INTO batches (product_id, kid, first_serial, quantity, points_per_code)
            SELECT id, \(kid), \(first), \(quantity), 10 FROM products WHERE sku = 'RICE-5KG'
            """, logger: logger)
    }

    @Test("overlapping serial ranges under one kid are refused; other kids and adjacent ranges are fine")
    func overlappingBatches() async throws {
        try await TestDatabase.withFresh { client, _ in
            try await insertProduct(client)
            try await insertBatch(client, kid: 1, first: 0, quantity: 1000)
            try await insertBatch(client, kid: 1, first: 1000, quantity: 1000) // adjacent
            try await insertBatch(client, kid: 2, first: 500, quantity: 1000) // same serials, other kid
            for (first, quantity) in [(999, 1), (1500, 10), (0, 5000), (1999, 2)] as [(Int64, Int64)] {
                do {
                    try await insertBatch(client, kid: 1, first: first, quantity: quantity)
                    Issue.record("overlap \(first)+\(quantity) was accepted")
                } catch {
                    #expect(DatabaseError(error)?.sqlState == DatabaseError.exclusionViolation)
                    #expect(DatabaseError(error)?.constraint == "batches_serials_do_not_overlap")
                }
            }
        }
    }

    @Test("serials beyond 40 bits and empty batches are refused")
    func batchBounds() async throws {
        try await TestDatabase.withFresh { client, _ in
            try await insertProduct(client)
            await #expect(throws: (any Error).self) { try await insertBatch(client, kid: 1, first: (1 << 40) - 1, quantity: 2) }
            await #expect(throws: (any Error).self) { try await insertBatch(client, kid: 1, first: 0, quantity: 0) }
            await #expect(throws: (any Error).self) { try await insertBatch(client, kid: 32, first: 0, quantity: 1) }
        }
    }

    @Test("ledger entries cannot be updated or deleted, and balances cannot go negative")
    func ledgerAppendOnly() async throws {
        try await TestDatabase.withFresh { client, _ in
            let rows = try await client.query("INSERT INTO members DEFAULT VALUES RETURNING id", logger: logger)
            var memberID: UUID?
            for try await id in rows.decode(UUID.self) { memberID = id }
            let member = try #require(memberID)
            try await client.query(
                """
                INSERT INTO ledger_entries (member_id, kind, points, balance_after, reason)
                VALUES (\(member), 'adjustment', 5, 5, 'welcome')
                """, logger: logger)
            do {
                try await client.query("UPDATE ledger_entries SET points = 500", logger: logger)
                Issue.record("update accepted")
            } catch {
                #expect(DatabaseError(error)?.sqlState == DatabaseError.restrictViolation)
            }
            await #expect(throws: (any Error).self) { try await client.query("DELETE FROM ledger_entries", logger: logger) }
            await #expect(throws: (any Error).self) {
                try await client.query("UPDATE members SET balance = -1 WHERE id = \(member)", logger: logger)
            }
        }
    }

    @Test("a code can be claimed only once")
    func claimOnce() async throws {
        try await TestDatabase.withFresh { client, _ in
            try await insertProduct(client)
            try await insertBatch(client, kid: 1, first: 0, quantity: 10)
            let rows = try await client.query("INSERT INTO members DEFAULT VALUES RETURNING id", logger: logger)
            var memberID: UUID?
            for try await id in rows.decode(UUID.self) { memberID = id }
            let member = try #require(memberID)
            var batchID = 0
            for try await id in try await client.query("SELECT id FROM batches", logger: logger).decode(Int.self) { batchID = id }
            func claim() async throws {
                try await client.withTransaction(logger: logger) { tx in
                    let entry = try await tx.query(
                        """
                        INSERT INTO ledger_entries (member_id, kind, points, balance_after, kid, serial)
                        VALUES (\(member), 'claim', 10, 10, 1, 3) RETURNING id
                        """, logger: logger)
                    var entryID = 0
                    for try await id in entry.decode(Int.self) { entryID = id }
                    try await tx.query(
                        """
                        INSERT INTO claims (kid, serial, batch_id, member_id, ledger_entry_id, points, channel)
                        VALUES (1, 3, \(batchID), \(member), \(entryID), 10, 'web')
                        """, logger: logger)
                }
            }
            try await claim()
            do {
                try await claim()
                Issue.record("second claim accepted")
            } catch {
                #expect(DatabaseError(error)?.sqlState == DatabaseError.uniqueViolation)
            }
        }
    }
}
