import Foundation
import Logging
import Metrics
import NIOCore
import PostgresNIO

/// Group commit for API claims. At most `runners` calls to PostgreSQL run at once; claims that
/// arrive while they are busy wait, and the next free runner takes up to `batchSize` of them as
/// one call of `api_claim_batch` (db/functions/api_claim_batch.sql),
/// one transaction. A claim that arrives when a runner is free goes at once, alone, so batching
/// adds no wait: it only happens under load, where it pays the cost of a transaction (commit,
/// WAL flush, round trip, setting up its statements) once for several claims.
///
/// A claim that shares a row with a claim in a running batch (the same member by identity or
/// phone, the same code, the same Idempotency-Key) waits for a later batch, and so do later
/// claims sharing a row with it, so such claims keep their order. The running batch holds that
/// row until it commits: a batch waiting for it would hold back all of its claims (with 1,000
/// members under load, a third of PostgreSQL's time on claims went to such waits), and two
/// batches each waiting for the other's row would deadlock.
///
/// Answers count only once PostgreSQL has committed: the batch's procedure commits before it
/// answers, and a lone claim run again after a failed batch is an explicit transaction. (A
/// lone statement's implicit commit comes after its rows, which PostgresNIO hands over before
/// the commit, so a 201 could have left before the claim was durable.)
///
/// Every claim still gets its own answer: in the batch, a refusal rolls back only that claim.
/// A batch that fails as a whole (a deadlock is run again first; any other error but the
/// database's going away) is run again one claim at a time, so an error belongs to the claim
/// that caused it. On Citus, a worker down that one of its claims needs is such an error: the
/// coordinator answered and rolled the batch back, so the others are run again too.
///
/// Nothing here outlives a database call that fails or never returns: each batch has a
/// deadline (`batchDeadline`), after which its claims are answered `database_unavailable` or
/// `outcome_unknown` (see `CommitGate`), its conflict keys released and its runner freed,
/// whatever became of the call. A claim whose request's deadline passed while it waited is
/// dropped from the queue, never sent.
actor ClaimBatcher {
    /// What one claim came to.
    enum Outcome: Sendable {
        /// The claim's result, new or stored with its Idempotency-Key.
        case answered(APIClaimResult)
        /// A refusal raised by `api_claim` (SQLSTATE TL001): its name and detail.
        case refused(name: String, detail: String?)
        /// Not taken: `queueLimit` claims were waiting already. Nothing was done.
        case overloaded
        case failed(any Error)
    }

    private struct Waiting {
        let claim: APIClaimStatement
        /// The request's gate: shut when its deadline passed, so the claim must not be sent.
        let gate: CommitGate?
        let continuation: CheckedContinuation<Outcome, Never>
    }

    private let database: PostgresClient
    private let logger: Logger
    private let runners: Int
    private let batchSize: Int
    private let queueLimit: Int
    private let batchDeadline: Duration
    private var waiting: [Waiting] = []
    private var running = 0
    /// The conflict keys (see `APIClaimStatement.conflictKeys`) of the claims in running batches.
    private var busy: [String: Int] = [:]

    /// `batchSize` at most 8: a batch with a refusal runs again with each claim a subtransaction
    /// (api_claim_batch.sql), and PostgreSQL keeps only 64 of a transaction's in each backend's
    /// shared cache before every snapshot gets slower.
    /// `queueLimit`: claims that may wait; more are answered `overloaded` at once, so that a
    /// flood beyond what the database can take fails fast instead of every claim waiting longer.
    /// `batchDeadline`: the longest a batch may take, retries included.
    init(database: PostgresClient, logger: Logger, runners: Int, queueLimit: Int, batchDeadline: Duration, batchSize: Int = 8) {
        precondition(runners >= 1 && queueLimit >= 1 && (1...8).contains(batchSize))
        self.database = database
        self.logger = logger
        self.runners = runners
        self.queueLimit = queueLimit
        self.batchDeadline = batchDeadline
        self.batchSize = batchSize
    }

    func claim(_ claim: APIClaimStatement) async -> Outcome {
        guard waiting.count < queueLimit else {
            Self.overloadedCounter.increment()
            return .overloaded
        }
        let gate = CommitGate.current
        return await withCheckedContinuation { continuation in
            waiting.append(Waiting(claim: claim, gate: gate, continuation: continuation))
            if running < runners {
                running += 1
                Task { await drain() }
            }
        }
    }

    /// One runner: batches from the front of the queue until none is left that it may take.
    private func drain() async {
        while case let batch = takeBatch(), !batch.isEmpty {
            let claims = batch.map(\.claim)
            let (database, logger) = (self.database, self.logger)
            let gate = CommitGate()
            let outcomes: [Outcome]
            do {
                outcomes = try await withDeadline(batchDeadline, expired: { gate.expire() }) {
                    await CommitGate.$current.withValue(gate) { await Self.run(claims, database: database, logger: logger) }
                }
            } catch {
                Self.abandonedCounter.increment()
                logger.warning("claim batch did not finish in time", metadata: ["claims": "\(claims.count)", "answer": "\(error)"])
                outcomes = Array(repeating: .failed(error), count: claims.count)
            }
            for (waiter, outcome) in zip(batch, outcomes) {
                waiter.continuation.resume(returning: outcome)
            }
            for key in batch.flatMap(\.claim.conflictKeys) {
                if let count = busy[key], count > 1 { busy[key] = count - 1 } else { busy[key] = nil }
            }
        }
        running -= 1
    }

    /// Up to `batchSize` waiting claims, oldest first, skipping those that share a key with a
    /// running batch or with a claim skipped before them (the runner of that batch takes them
    /// when it is done). Claims sharing a key within the batch are fine: it runs them in order.
    private func takeBatch() -> [Waiting] {
        var batch: [Waiting] = []
        var skipped: Set<String> = []
        var index = waiting.startIndex
        while batch.count < batchSize, index < waiting.endIndex {
            let keys = waiting[index].claim.conflictKeys
            if keys.contains(where: { busy[$0] != nil || skipped.contains($0) }) {
                skipped.formUnion(keys)
                index += 1
                continue
            }
            let taken = waiting.remove(at: index)
            do {
                try taken.gate?.willCommit()
                batch.append(taken)
            } catch {
                // Its request was answered database_unavailable already: never send it.
                taken.continuation.resume(returning: .failed(error))
            }
        }
        for key in batch.flatMap(\.claim.conflictKeys) {
            busy[key, default: 0] += 1
        }
        return batch
    }

    /// Made once: making a metric looks it up in the registry under a lock.
    private static let batchesCounter = Counter(label: "tally_claim_batches_total")
    private static let splitCounter = Counter(label: "tally_claim_batches_split_total")
    private static let overloadedCounter = Counter(label: "tally_claims_overloaded_total")
    private static let abandonedCounter = Counter(label: "tally_claim_batches_abandoned_total")

    /// The claims' outcomes, in order. The metrics give the mean batch size next to
    /// tally_claims_total, and how often a batch had to be run again one claim at a time.
    private static func run(_ claims: [APIClaimStatement], database: PostgresClient, logger: Logger) async -> [Outcome] {
        batchesCounter.increment()
        do {
            // On a connection of our own, as in runAlone below, outside any transaction: the
            // procedure commits before it answers. A deadlock is run again.
            return try await retryingDeadlocks(logger: logger) {
                try await database.withConnection { connection in
                    var outcomes: [Outcome] = []
                    outcomes.reserveCapacity(claims.count)
                    // The procedure commits by itself.
                    try CommitGate.willCommit()
                    let rows = try await connection.execute(APIClaimBatchStatement(claims: claims), logger: logger)
                    for try await (kinds, members, points, balances, statuses, bodies, refusals, details, awards) in rows
                    where [
                        members.count, points.count, balances.count, statuses.count, bodies.count, refusals.count, details.count,
                        awards.count,
                    ]
                    .allSatisfy({ $0 == kinds.count }) {
                        for index in kinds.indices {
                            if !refusals[index].isEmpty {
                                outcomes.append(.refused(name: refusals[index], detail: details[index].isEmpty ? nil : details[index]))
                                continue
                            }
                            // Missing values come as the nil UUID and 0 (no NULL array elements).
                            let known = members[index] != Self.nilUUID
                            outcomes.append(
                                Self.answer(
                                    APIClaimResult(
                                        outcome: kinds[index], member: known ? members[index] : nil,
                                        points: known ? Int(points[index]) : nil, balance: known ? balances[index] : nil,
                                        storedStatus: Int(statuses[index]), storedBody: bodies[index], awards: awards[index]
                                    )))
                        }
                    }
                    guard outcomes.count == claims.count else {
                        throw StoreError(.conflict, .claimFailed, "the claim batch answered \(outcomes.count) of \(claims.count) claims")
                    }
                    return outcomes
                }
            }
        } catch {
            // The database went away: the batch may have committed, so it is not run again here
            // (a retry with the same Idempotency-Key learns what became of each claim). Unless the
            // server rolled it back (on Citus: a worker one of its claims needs is down): its
            // claims are run again alone below, so that only those needing that worker fail.
            if claims.count == 1 || (error.isDatabaseUnavailability && !error.wasRolledBackByServer) {
                return Array(repeating: .failed(unavailable(error)), count: claims.count)
            }
            splitCounter.increment()
            logger.notice(
                "claim batch failed; running its claims one at a time",
                metadata: [
                    "claims": "\(claims.count)", "error": "\(error.databaseDescription)",
                ])
            var outcomes: [Outcome] = []
            for claim in claims {
                outcomes.append(await runAlone(claim, database: database, logger: logger))
            }
            return outcomes
        }
    }

    private static let nilUUID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// A row of `api_claim`'s, or claim_failed when it gave none the server knows.
    private static func answer(_ result: APIClaimResult?) -> Outcome {
        result.map(Outcome.answered) ?? .refused(name: "claim_failed", detail: nil)
    }

    /// One claim, as `api_claim` alone.
    private static func runAlone(_ claim: APIClaimStatement, database: PostgresClient, logger: Logger) async -> Outcome {
        do {
            // On a connection of our own, not PostgresClient.execute: refusals are errors, and the
            // client (PostgresNIO 1.33) never gives back the connection of a statement whose error
            // arrives before its rows are awaited; under load the pool ran dry and the server hung.
            // A refusal rolls the transaction back; a deadlock is run again.
            return try await database.transaction(logger: logger) { connection -> Outcome in
                for try await (outcome, member, points, balance, status, body, awards) in try await connection.execute(
                    claim, logger: logger)
                {
                    return Self.answer(
                        APIClaimResult(
                            outcome: outcome, member: member, points: points, balance: balance, storedStatus: status, storedBody: body,
                            awards: awards
                        ))
                }
                return Self.answer(nil)
            }
        } catch let error as PSQLError {
            guard let info = error.serverInfo, info[.sqlState] == "TL001", let name = info[.message] else {
                return .failed(unavailable(error))
            }
            return .refused(name: name, detail: info[.detail])
        } catch {
            return .failed(unavailable(error))
        }
    }

    /// A failure of the database as the claim's answer (`database_unavailable` or, once the claim
    /// may have been committed, `outcome_unknown`); any other error as it is. Rolled back by the
    /// server, nothing of it committed, whatever was sent before (a batch, or claims alone before
    /// it, behind the same gate): `database_unavailable`.
    private static func unavailable(_ error: any Error) -> any Error {
        if error.isDatabaseUnavailability && error.wasRolledBackByServer { return StoreError.databaseUnavailable }
        return CommitGate.unavailability(for: error) ?? error
    }
}
