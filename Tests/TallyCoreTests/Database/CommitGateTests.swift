import Foundation
import PostgresNIO
import Synchronization
import TallyCore
import TallyTestSupport
import Testing

/// The deadline of a request against a real PostgreSQL: a deadline before COMMIT rolls back
/// (the client was told nothing was done), one after COMMIT was sent answers outcome_unknown.
@Suite("Deadlines and the commit gate")
struct CommitGateTests {
    /// A table whose inserts take `seconds` to commit (a deferred trigger sleeps at COMMIT).
    static func makeTable(_ database: PostgresClient, commitSeconds: Double) async throws {
        for sql in [
            "CREATE TABLE gate_test (id int PRIMARY KEY)",
            """
            CREATE FUNCTION gate_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep(\(commitSeconds)); RETURN NULL; END $$
            """,
            """
            CREATE CONSTRAINT TRIGGER gate_test_slow AFTER INSERT ON gate_test
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gate_test_slow()
            """,
        ] {
            try await database.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        }
    }

    static func rows(_ database: PostgresClient) async throws -> Int {
        for try await n in try await database.query("SELECT count(*)::int FROM gate_test", logger: TestDatabase.logger).decode(Int.self) {
            return n
        }
        return -1
    }

    @Test("a deadline that passes before COMMIT answers database_unavailable, and the transaction rolls back when it wakes")
    func beforeCommit() async throws {
        try await TestDatabase.withFresh { database, _ in
            try await Self.makeTable(database, commitSeconds: 0)
            let logger = TestDatabase.logger
            await #expect(throws: StoreError.databaseUnavailable) {
                try await withRequestDeadline(until: .now + .milliseconds(300)) {
                    try await database.transaction(logger: logger) { connection in
                        try await connection.query("INSERT INTO gate_test VALUES (1)", logger: logger)
                        try await connection.query("SELECT pg_sleep(1)", logger: logger)
                    }
                }
            }
            // The transaction's task ends after its sleep, finds the gate shut and rolls back.
            try await Task.sleep(for: .seconds(1.5))
            #expect(try await Self.rows(database) == 0)
        }
    }

    @Test("a deadline that passes after COMMIT was sent answers outcome_unknown, and the write stands")
    func afterCommit() async throws {
        try await TestDatabase.withFresh { database, _ in
            try await Self.makeTable(database, commitSeconds: 1)
            let logger = TestDatabase.logger
            await #expect(throws: StoreError.outcomeUnknown) {
                try await withRequestDeadline(until: .now + .milliseconds(300)) {
                    try await database.transaction(logger: logger) { connection in
                        try await connection.query("INSERT INTO gate_test VALUES (1)", logger: logger)
                    }
                }
            }
            try await Task.sleep(for: .seconds(1.5))
            #expect(try await Self.rows(database) == 1)
        }
    }

    @Test("withDeadline answers at its deadline even when the operation never returns")
    func neverReturns() async throws {
        let start = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(200)) { await Parked.forever() }
        }
        #expect(ContinuousClock.now - start < .seconds(1))
    }
}

/// An operation that never returns and ignores cancellation, as a query on a connection that
/// closed at the wrong moment can in PostgresNIO 1.33.
enum Parked {
    static func forever() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            parked.withLock { $0.append(continuation) }
        }
    }
}

private let parked = Mutex<[UnsafeContinuation<Void, Never>]>([])
