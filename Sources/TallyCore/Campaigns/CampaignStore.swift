import Foundation
import Logging
import PostgresNIO

/// Campaigns: their creation, changes (each a new version), lifecycle steps, and the change
/// log, which every write adds to in its own transaction. What claims award is the claim
/// path's (apply_campaigns); this store only reads it, for what is left of the budgets.
public struct CampaignStore: Sendable {
    public static let maxPageSize = 200

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func create(_ input: CampaignInput, actor: String) async throws -> Campaign {
        let definition = try CampaignDefinition(validating: input)
        let logger = self.logger
        return try await database.transaction(logger: logger) { tx in
            try await Self.create(definition, actor: actor, on: tx, logger: logger)
        }
    }

    /// Creates a draft at version 1 on `connection` (inside the caller's transaction, e.g. an
    /// Idempotency-Key's), with a new draw secret of 32 bytes from the system's random source.
    public func create(_ input: CampaignInput, actor: String, on connection: PostgresConnection) async throws -> Campaign {
        try await Self.create(try CampaignDefinition(validating: input), actor: actor, on: connection, logger: logger)
    }

    static func create(_ definition: CampaignDefinition, actor: String, on tx: PostgresConnection, logger: Logger) async throws -> Campaign
    {
        let references = try await CampaignReferences(definition, on: tx, logger: logger)
        var random = SystemRandomNumberGenerator()
        let secret = ByteBuffer(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) })
        let rows = try await tx.query("INSERT INTO campaigns (secret) VALUES (\(secret)) RETURNING id", logger: logger)
        var created: Int64?
        for try await id in rows.decode(Int64.self) { created = id }
        guard let id = created else { throw UnexpectedSQLOutcome(function: "INSERT INTO campaigns", outcome: "no id") }
        try await CampaignVersionWriter.insert(definition, references, campaign: id, version: 1, actor: actor, on: tx, logger: logger)
        try await CampaignBudgets.apply(definition, campaign: id, on: tx, logger: logger)
        let after = try await Self.load(id, on: tx, logger: logger)
        try await Self.record(.created, before: nil, after: after, actor: actor, on: tx, logger: logger)
        return after
    }

    public func get(id: Int64) async throws -> Campaign {
        try await database.withConnection { connection in try await Self.load(id, on: connection, logger: logger) }
    }

    /// Campaigns newest first, before the id `before` (the previous page's last), with the
    /// status `status` if given (the status shown, `live` included).
    public func list(status: CampaignStatus?, before: Int64?, limit: Int) async throws -> [Campaign] {
        let limit = min(max(limit, 1), Self.maxPageSize)
        return try await database.withConnection { connection in
            try await Self.select(
                """
                WHERE (\(before)::int8 IS NULL OR c.id < \(before)) AND (\(status?.rawValue)::text IS NULL OR \(unescaped: CampaignStatus.sql) = \(status?.rawValue))
                ORDER BY c.id DESC LIMIT \(limit)
                """, on: connection, logger: logger)
        }
    }

    /// Applies `change` (each part given replaces that part whole) as a new version, unless it
    /// changes nothing. An ended campaign is refused; budgets go through `set_campaign_budget`.
    public func update(id: Int64, _ change: CampaignInput, actor: String) async throws -> Campaign {
        let logger = self.logger
        return try await database.transaction(logger: logger) { tx in
            try await Self.update(id: id, change, actor: actor, on: tx, logger: logger).after
        }
    }

    /// `update` on `connection`, inside the caller's transaction (the console records its own
    /// audit there, so the change and its record commit together); the campaign before and after.
    public func update(id: Int64, _ change: CampaignInput, actor: String, on connection: PostgresConnection) async throws
        -> (before: Campaign, after: Campaign)
    {
        try await Self.update(id: id, change, actor: actor, on: connection, logger: logger)
    }

    static func update(id: Int64, _ change: CampaignInput, actor: String, on tx: PostgresConnection, logger: Logger) async throws
        -> (before: Campaign, after: Campaign)
    {
        let before = try await Self.lock(id, on: tx, logger: logger)
        guard before.status != .ended else {
            throw StoreError(.invalid, .campaignEnded, "campaign \(id) has ended: an ended campaign cannot change")
        }
        let current = try CampaignDefinition(validating: Self.input(of: before))
        let definition = try CampaignDefinition(validating: change.replacingParts(of: current.input))
        guard definition != current else { return (before, before) }
        let references = try await CampaignReferences(definition, on: tx, logger: logger)
        let version = before.version + 1
        try await CampaignVersionWriter.insert(
            definition, references, campaign: id, version: version, actor: actor, on: tx, logger: logger)
        try await tx.query("UPDATE campaigns SET version = \(version), updated_at = now() WHERE id = \(id)", logger: logger)
        try await CampaignBudgets.apply(definition, campaign: id, on: tx, logger: logger)
        let after = try await Self.load(id, on: tx, logger: logger)
        try await Self.record(.updated, before: before, after: after, actor: actor, on: tx, logger: logger)
        return (before, after)
    }

    /// Takes `step` (schedule, pause, resume, end) if the campaign's status allows it.
    public func take(_ step: CampaignStep, id: Int64, actor: String) async throws -> Campaign {
        let logger = self.logger
        return try await database.transaction(logger: logger) { tx in
            try await Self.take(step, id: id, actor: actor, on: tx, logger: logger).after
        }
    }

    /// `take` on `connection`, inside the caller's transaction; the campaign before and after.
    public func take(_ step: CampaignStep, id: Int64, actor: String, on connection: PostgresConnection) async throws
        -> (before: Campaign, after: Campaign)
    {
        try await Self.take(step, id: id, actor: actor, on: connection, logger: logger)
    }

    static func take(_ step: CampaignStep, id: Int64, actor: String, on tx: PostgresConnection, logger: Logger) async throws
        -> (before: Campaign, after: Campaign)
    {
        let before = try await Self.lock(id, on: tx, logger: logger)
        guard step.from.contains(before.status) else { throw step.refusal(from: before.status) }
        if step == .schedule {
            let rows = try await tx.query("SELECT now() >= \(before.endsAt)", logger: logger)
            for try await passed in rows.decode(Bool.self) where passed {
                throw StoreError(
                    .invalid, .windowPassed,
                    "campaign \(id) ended at \(RFC3339.string(from: before.endsAt)) by its window: move ends_at before scheduling it")
            }
        }
        // The clock read outside the CASE: Citus refuses now() in one in an UPDATE of its tables.
        try await tx.query(
            """
            UPDATE campaigns SET state = \(step.state), updated_at = clock.now,
                ended_at = CASE WHEN \(step.state) = 'ended' THEN clock.now ELSE ended_at END
            FROM (SELECT now()) AS clock (now)
            WHERE id = \(id)
            """, logger: logger)
        let after = try await Self.load(id, on: tx, logger: logger)
        try await Self.record(step.action, before: before, after: after, actor: actor, on: tx, logger: logger)
        return (before, after)
    }

    /// Ends the campaigns still scheduled or paused whose window has passed (they already show
    /// `ended`), as of their window's end, each with its change-log row by `system`. The claim
    /// path looks only at scheduled campaigns: those left would cost every claim a look.
    /// Returns how many were ended.
    public func endPastWindows() async throws -> Int {
        let logger = self.logger
        let rows = try await database.query(
            """
            SELECT c.id FROM campaigns c JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.version
            WHERE c.state IN ('scheduled', 'paused') AND v.ends_at <= now() ORDER BY c.id
            """, logger: logger)
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        var ended = 0
        for id in ids {
            ended += try await database.transaction(logger: logger) { tx -> Int in
                let before = try await Self.lock(id, on: tx, logger: logger)
                let updated = try await tx.query(
                    """
                    UPDATE campaigns c SET state = 'ended', updated_at = now(), ended_at = v.ends_at
                    FROM campaign_versions v
                    WHERE c.id = \(id) AND v.campaign_id = c.id AND v.version = c.version
                      AND c.state IN ('scheduled', 'paused') AND v.ends_at <= now()
                    RETURNING c.id
                    """, logger: logger)
                var changed = 0
                for try await _ in updated.decode(Int64.self) { changed += 1 }
                guard changed > 0 else { return 0 }
                let after = try await Self.load(id, on: tx, logger: logger)
                try await Self.record(.ended, before: before, after: after, actor: "system", on: tx, logger: logger)
                return 1
            }
        }
        return ended
    }

    /// The campaign's versions, newest first, before the version `before`.
    public func versions(id: Int64, before: Int?, limit: Int) async throws -> [CampaignVersion] {
        let limit = min(max(limit, 1), Self.maxPageSize)
        return try await database.withConnection { connection in
            _ = try await Self.load(id, on: connection, logger: logger)
            let rows = try await connection.query(
                """
                SELECT \(unescaped: CampaignRows.versionColumns) FROM campaign_versions v
                WHERE v.campaign_id = \(id) AND (\(before)::int8 IS NULL OR v.version < \(before))
                ORDER BY v.version DESC LIMIT \(limit)
                """, logger: logger)
            var collected: [PostgresRandomAccessRow] = []
            for try await row in rows { collected.append(row.makeRandomAccess()) }
            let prizes = try await CampaignRows.prizes(
                campaign: id, versions: try collected.map { try $0["version"].decode(Int.self) }, on: connection, logger: logger)
            return try collected.map { row in
                let version = try row["version"].decode(Int.self)
                let input = try CampaignRows.definition(row, prizes: (prizes[version] ?? []).map(\.prize)).input
                return CampaignVersion(
                    version: version, name: input.name!, startsAt: input.startsAt!, endsAt: input.endsAt!, timeZone: input.timeZone!,
                    priority: input.priority!, exclusive: input.exclusive!, conditions: input.conditions!, effect: input.effect!,
                    budget: input.budget!, limits: input.limits!, createdBy: try row["created_by"].decode(String.self),
                    createdAt: try row["version_created_at"].decode(Date.self))
            }
        }
    }

    /// The campaign's change log, newest first, before the entry `before`.
    public func changes(id: Int64, before: Int64?, limit: Int) async throws -> [CampaignChange] {
        let limit = min(max(limit, 1), Self.maxPageSize)
        return try await database.withConnection { connection in
            _ = try await Self.load(id, on: connection, logger: logger)
            let rows = try await connection.query(
                """
                SELECT id, action, version, actor, changed_at, before::text, after::text FROM campaign_changes
                WHERE campaign_id = \(id) AND (\(before)::int8 IS NULL OR id < \(before))
                ORDER BY id DESC LIMIT \(limit)
                """, logger: logger)
            var changes: [CampaignChange] = []
            for try await (change, action, version, actor, at, before, after) in rows.decode(
                (Int64, String, Int, String, Date, String?, String).self)
            {
                guard let action = CampaignAction(rawValue: action) else {
                    throw UnexpectedSQLOutcome(function: "campaign_changes.action", outcome: action)
                }
                changes.append(
                    CampaignChange(
                        id: change, action: action, version: version, actor: actor, changedAt: at,
                        before: try before.map(CampaignJSON.decode), after: try CampaignJSON.decode(after)))
            }
            return changes
        }
    }

    // MARK: Reading

    static func notFound(_ id: Int64) -> StoreError {
        StoreError(.notFound, .campaignNotFound, "no campaign \(id)")
    }

    /// The campaign, locked until the transaction ends: changes and steps of it take turns.
    static func lock(_ id: Int64, on tx: PostgresConnection, logger: Logger) async throws -> Campaign {
        let rows = try await tx.query("SELECT id FROM campaigns WHERE id = \(id) FOR UPDATE", logger: logger)
        for try await _ in rows {}
        return try await load(id, on: tx, logger: logger)
    }

    static func load(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Campaign {
        guard let campaign = try await select("WHERE c.id = \(id)", on: connection, logger: logger).first else { throw notFound(id) }
        return campaign
    }

    /// The campaigns `filter` (a WHERE clause, with ORDER BY and LIMIT) selects, as the API shows them.
    static func select(_ filter: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Campaign] {
        var query = PostgresQuery(
            unsafeSQL: """
                SELECT c.id, c.state, now() AS now, c.created_at, c.updated_at, c.ended_at,
                       encode(c.secret, 'hex') AS secret, encode(c.secret_sha256, 'hex') AS secret_sha256,
                       (SELECT sum(s.units) FROM campaign_budget_slices s WHERE s.campaign_id = c.id AND s.budget = 'points')::int8
                           AS points_left,
                       (SELECT sum(s.units) FROM campaign_budget_slices s WHERE s.campaign_id = c.id AND s.budget = 'awards')::int8
                           AS awards_left,
                       \(CampaignRows.versionColumns)
                FROM campaigns c JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.version

                """)
        query.sql += filter.sql
        query.binds = filter.binds
        let rows = try await connection.query(query, logger: logger)
        var collected: [PostgresRandomAccessRow] = []
        for try await row in rows { collected.append(row.makeRandomAccess()) }
        var campaigns: [Campaign] = []
        for row in collected {
            let id = try row["id"].decode(Int64.self)
            let version = try row["version"].decode(Int.self)
            let prizes = try await CampaignRows.prizes(campaign: id, versions: [version], on: connection, logger: logger)[version] ?? []
            campaigns.append(try campaign(row, prizes: prizes))
        }
        return campaigns
    }

    /// A row of `select` and its prizes as the API shows the campaign.
    static func campaign(_ row: PostgresRandomAccessRow, prizes: [(prize: CampaignDefinition.Prize, left: Int64?)]) throws -> Campaign {
        var input = try CampaignRows.definition(row, prizes: prizes.map(\.prize)).input
        if input.effect?.prizes != nil {
            for index in prizes.indices { input.effect?.prizes?[index].left = prizes[index].left }
        }
        input.budget?.pointsLeft = try row["points_left"].decode(Int64?.self)
        input.budget?.awardsLeft = try row["awards_left"].decode(Int64?.self)
        let status = CampaignStatus(
            state: try row["state"].decode(String.self), startsAt: input.startsAt!, endsAt: input.endsAt!,
            now: try row["now"].decode(Date.self))
        let draw =
            status == .draft
            ? nil
            : CampaignDraw(
                secretSha256: try row["secret_sha256"].decode(String.self),
                secret: status == .ended ? try row["secret"].decode(String.self) : nil)
        return Campaign(
            id: try row["id"].decode(Int64.self), version: try row["version"].decode(Int.self), status: status, name: input.name!,
            startsAt: input.startsAt!, endsAt: input.endsAt!, timeZone: input.timeZone!, priority: input.priority!,
            exclusive: input.exclusive!, conditions: input.conditions!, effect: input.effect!, budget: input.budget!,
            limits: input.limits!, draw: draw, endedAt: try row["ended_at"].decode(Date?.self),
            createdAt: try row["created_at"].decode(Date.self), updatedAt: try row["updated_at"].decode(Date.self))
    }

    /// The definition `campaign` shows, as a client would send it.
    static func input(of campaign: Campaign) -> CampaignInput {
        var input = CampaignInput()
        (input.name, input.startsAt, input.endsAt, input.timeZone) = (campaign.name, campaign.startsAt, campaign.endsAt, campaign.timeZone)
        (input.priority, input.exclusive, input.conditions) = (campaign.priority, campaign.exclusive, campaign.conditions)
        (input.effect, input.budget, input.limits) = (campaign.effect, campaign.budget, campaign.limits)
        return input
    }

    // MARK: The change log

    static func record(
        _ action: CampaignAction, before: Campaign?, after: Campaign, actor: String, on tx: PostgresConnection, logger: Logger
    ) async throws {
        let beforeJSON = try before.map(CampaignJSON.encode)
        try await tx.query(
            """
            INSERT INTO campaign_changes (campaign_id, version, action, actor, before, after)
            VALUES (\(after.id), \(after.version), \(action.rawValue), \(actor), \(beforeJSON)::jsonb, \(try CampaignJSON.encode(after))::jsonb)
            """, logger: logger)
    }
}
