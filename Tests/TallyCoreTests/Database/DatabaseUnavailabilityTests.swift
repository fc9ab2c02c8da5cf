import Foundation
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// Which server errors mean the database could not be reached (the server answers 503
/// `database_unavailable` or `outcome_unknown`, never 500). Citus's words for a stopped worker
/// are raised here by PostgreSQL itself, with the SQLSTATE and message Citus gives them, so that
/// they arrive through PostgresNIO exactly as Citus's would.
@Suite("Database unavailability")
struct DatabaseUnavailabilityTests {
    /// The error a statement raising `message` with `sqlState` fails with.
    static func serverError(_ database: PostgresClient, sqlState: String, message: String) async throws -> any Error {
        let quoted = message.replacingOccurrences(of: "'", with: "''")
        let sql = "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '\(sqlState)', MESSAGE = '\(quoted)'; END $$"
        do {
            try await database.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        } catch {
            return error
        }
        Issue.record("the statement did not fail")
        return CancellationError()
    }

    @Test("a Citus worker refusing, timing out or lost mid-statement or mid-commit: the database is unavailable")
    func citusWorkerDown() async throws {
        try await TestDatabase.withFresh(migrated: false) { database, _ in
            for (state, message) in [
                ("08006", "connection to the remote node tally@127.0.0.1:24382 failed with the following error: Connection refused"),
                ("08006", "could not establish any connections to the node 127.0.0.1:24382 after 2000 ms"),
                ("XX000", "SSL SYSCALL error: EOF detected\ninvalid socket"),
                ("XX000", "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally"),
                ("XX000", "failure on connection marked as essential: 127.0.0.1:24382"),
                ("XX000", "could not commit transaction for shard 102114 on at least one active node"),
                ("XX000", "could not receive data from server: Connection reset by peer"),
                ("58030", "failed to COPY to shard 102182 on 127.0.0.1:24382"),
                ("57P03", "the database system is starting up"),
            ] {
                let error = try await Self.serverError(database, sqlState: state, message: message)
                #expect(error.isDatabaseUnavailability, "\(state) \(message)")
                #expect(DatabaseError(error)?.sqlState == state)
            }
        }
    }

    @Test("other internal errors and Citus's refusals of a query stay errors of the request")
    func otherErrors() async throws {
        try await TestDatabase.withFresh(migrated: false) { database, _ in
            for (state, message) in [
                ("XX000", "could not run distributed query with FOR UPDATE/SHARE commands"),
                ("XX000", "cache lookup failed for type 0"),
                ("58030", "could not read block 0 in file \"base/16384/16385\": read only 0 of 8192 bytes"),
                ("0A000", "complex joins are only supported when all distributed tables are co-located"),
                ("40P01", "deadlock detected"),
                ("23505", "duplicate key value violates unique constraint"),
            ] {
                let error = try await Self.serverError(database, sqlState: state, message: message)
                #expect(!error.isDatabaseUnavailability, "\(state) \(message)")
            }
        }
    }
}
