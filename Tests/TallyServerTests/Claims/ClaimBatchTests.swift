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

/// API claims that arrive together share one transaction (ClaimBatcher, api_claim_batch), and
/// each still gets the answer it would get alone.
@Suite("Claim batches over real HTTP", .serialized)
struct ClaimBatchTests {
    typealias API = ClaimAPITests

    @Test("claims sent at once go in shared transactions; new, repeated, refused and replayed claims each get their own answer")
    func mixedBatch() async throws {
        // Three connections: one for the webhook service, one for claims, so all but the first
        // claim queue behind it and go in batches.
        try await TestApp.run(configure: { $0.databaseConnections = 3 }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            let inactive = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let taken = app.code(batch, 99)
            let first = try await API.claimOnOwnConnection(
                app, API.ClaimBody(code: taken.text, channel: "tmall", externalID: "first"), key: "replay-me")
            #expect(first.status == .created)

            enum Expected: Equatable {
                case claimed, replayed
                case refused(Int, String)
            }
            var sends: [(API.ClaimBody, String, Expected)] = []
            for person in 0..<16 {
                sends.append(
                    (
                        API.ClaimBody(code: app.code(batch, Int64(person)).text, channel: "tmall", externalID: "p\(person)"),
                        UUID().uuidString, .claimed
                    ))
            }
            for person in 0..<4 {
                sends.append(
                    (
                        API.ClaimBody(code: taken.text, channel: "tmall", externalID: "late\(person)"), UUID().uuidString,
                        .refused(409, "already_claimed")
                    ))
            }
            sends.append(
                (
                    API.ClaimBody(code: app.code(inactive, 1).text, channel: "tmall", externalID: "p1"), UUID().uuidString,
                    .refused(409, "not_active")
                ))
            sends.append((API.ClaimBody(code: taken.text, channel: "tmall", externalID: "first"), "replay-me", .replayed))
            sends.append(
                (
                    API.ClaimBody(code: app.code(batch, 50).text, channel: "tmall", externalID: "first"), "replay-me",
                    .refused(422, "idempotency_key_reused")
                ))

            let answers = try await withThrowingTaskGroup(of: (Expected, API.Answer, Bool).self) { group in
                for (body, key, expected) in sends {
                    group.addTask {
                        let response = try await API.claimOnOwnConnection(app, body, key: key)
                        return (expected, API.Answer(response), response.headers[API.idempotentReplayed] == "true")
                    }
                }
                return try await group.reduce(into: [(Expected, API.Answer, Bool)]()) { $0.append($1) }
            }
            for (expected, answer, replayed) in answers {
                switch expected {
                case .claimed:
                    #expect(answer.status == 201 && answer.claimed?.points == 10 && !replayed, "\(answer)")
                case .replayed:
                    #expect(answer.status == 201 && replayed, "\(answer)")
                case .refused(let status, let code):
                    #expect(answer.status == status && answer.error == code, "\(answer)")
                }
            }
            // now() is the transaction's start: claims of one transaction share their claimed_at.
            let rows = try await app.database.query(
                "SELECT count(*)::int, count(DISTINCT claimed_at)::int FROM claims", logger: TestDatabase.logger
            )
            for try await (claims, transactions) in rows.decode((Int, Int).self) {
                #expect(claims == 17)
                #expect(transactions < 17, "every claim had a transaction of its own: nothing was batched")
            }
            #expect(try await app.count("members") == 17)
            try await API.expectInvariants(app)
        }
    }

    /// The error a poisoned claim raises, and what its request is answered: any error (500), or
    /// a worker it needs that is down, as Citus reports it (an ERROR of class 08: the batch was
    /// rolled back, the coordinator is still there), 503 database_unavailable.
    static let poisons: [(raise: String, status: Int, code: String?)] = [
        ("RAISE EXCEPTION 'poisoned code'", 500, nil),
        ("RAISE EXCEPTION 'connection to the remote node 127.0.0.1:1 failed' USING ERRCODE = '08006'", 503, "database_unavailable"),
    ]

    @Test(
        "a batch that fails as a whole is run again one claim at a time: only the claim that caused the error gets it, also when it is a worker that is down",
        arguments: poisons.indices)
    func failedBatchSplits(poison: Int) async throws {
        let (raise, status, code) = Self.poisons[poison]
        try await TestApp.run(configure: { $0.databaseConnections = 3 }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 40}"#)
            let poisoned = app.code(batch, 7)
            // An error that is no refusal, for one code only: it aborts whatever transaction holds it.
            try await app.database.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE FUNCTION refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN \(raise); END;
                        $$
                        """), logger: TestDatabase.logger)
            try await app.database.query(
                PostgresQuery(
                    unsafeSQL: """
                        DO $$ BEGIN
                            -- On Citus a trigger on a distributed table must be allowed first (see db/citus).
                            PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
                            CREATE TRIGGER refuse_poisoned BEFORE INSERT ON claims FOR EACH ROW
                            WHEN (NEW.serial = \(poisoned.serial)) EXECUTE FUNCTION refuse_poisoned();
                        END $$
                        """), logger: TestDatabase.logger)

            let answers = try await withThrowingTaskGroup(of: (Int64, API.Answer).self) { group in
                for sequence: Int64 in 0..<20 {
                    group.addTask {
                        let body = API.ClaimBody(code: app.code(batch, sequence).text, channel: "tmall", externalID: "p\(sequence)")
                        return (sequence, API.Answer(try await API.claimOnOwnConnection(app, body)))
                    }
                }
                return try await group.reduce(into: [Int64: API.Answer]()) { $0[$1.0] = $1.1 }
            }
            for (sequence, answer) in answers {
                if sequence == 7 {
                    #expect(answer.status == status && (code == nil || answer.error == code), "\(answer)")
                } else {
                    #expect(answer.status == 201, "\(sequence): \(answer)")
                }
            }
            #expect(try await app.count("claims") == 19)
            try await API.expectInvariants(app)
        }
    }

    @Test(
        "claims beyond the queue limit are answered 503 at once, change nothing, and go through when sent again; no more batches run at once than the claim connections"
    )
    func overloadedQueue() async throws {
        // Two claim connections (TALLY_CLAIM_CONNECTIONS; the pool keeps its default of 20), at
        // most 4 claims waiting for them.
        try await TestApp.run(configure: {
            $0.claimConnections = 2
            $0.claimQueueLimit = 4
        }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 40}"#)
            let keysBefore = try await app.count("idempotency_keys")
            let sends = (0..<30).map { person in
                (API.ClaimBody(code: app.code(batch, Int64(person)).text, channel: "tmall", externalID: "p\(person)"), UUID().uuidString)
            }
            // While another transaction holds the claims table, each claim connection's batch (at
            // most 8 claims) waits on it and 4 more claims wait for a connection: at least 10 of
            // the 30 have nowhere to wait.
            var batchesWaiting: Int64 = 0
            let answers = try await app.database.withConnection { holder in
                try await holder.query("BEGIN", logger: TestDatabase.logger)
                try await holder.query("LOCK TABLE claims IN SHARE MODE", logger: TestDatabase.logger)
                return try await withThrowingTaskGroup(of: (Int, TestClient.Response).self) { group in
                    for (index, (body, key)) in sends.enumerated() {
                        group.addTask { (index, try await API.claimOnOwnConnection(app, body, key: key)) }
                    }
                    var answers: [Int: TestClient.Response] = [:]
                    while answers.count < 10, let (index, response) = try await group.next() {
                        #expect(response.status == .serviceUnavailable, "answered before the table was free: \(API.Answer(response))")
                        answers[index] = response
                    }
                    // The queue is full, so both connections took a batch: once both wait on the
                    // lock, a third, if there were one, would be waiting too a moment later.
                    _ = try await app.lockWaiters(atLeast: 2, statement: "CALL api_claim_batch")
                    try await Task.sleep(for: .milliseconds(200))
                    batchesWaiting = try await app.lockWaiters(atLeast: 0, statement: "CALL api_claim_batch")
                    try await holder.query("ROLLBACK", logger: TestDatabase.logger)
                    for try await (index, response) in group { answers[index] = response }
                    return answers
                }
            }

            var turnedAway: [Int] = []
            for (index, response) in answers {
                let answer = API.Answer(response)
                if answer.status == 503 {
                    #expect(answer.error == "overloaded" && response.headers[.retryAfter] == "1", "\(answer)")
                    turnedAway.append(index)
                } else {
                    #expect(answer.status == 201, "\(answer)")
                }
            }
            #expect(batchesWaiting == 2, "claim batches running at once with 2 claim connections")
            #expect(turnedAway.count >= 10)
            #expect(try await app.count("claims") == 30 - turnedAway.count)
            #expect(
                try await app.count("idempotency_keys") == keysBefore + 30 - turnedAway.count, "a turned-away claim left its key behind")

            // Sent again with the same keys once the database keeps up, they are claimed (not replays).
            for index in turnedAway {
                let response = try await API.claimOnOwnConnection(app, sends[index].0, key: sends[index].1)
                #expect(response.status == .created && response.headers[API.idempotentReplayed] == nil, "\(API.Answer(response))")
            }
            #expect(try await app.count("claims") == 30)
            try await API.expectInvariants(app)
        }
    }
}
