import Foundation
import Logging
import PostgresNIO
import TallyCodes

/// Where and how a claim was made, recorded with it.
public struct ClaimContext: Sendable {
    /// `web` for the landing page, else the trusted channel (e.g. `wechat_miniprogram`).
    public var channel: String
    public var ip: String?
    public var userAgent: String?
    public var latitude: Double?
    public var longitude: Double?
    public var accuracy: Float?
    /// The landing page's device cookie, for the campaigns' abuse limits (none from the API).
    public var device: String?

    public init(
        channel: String, ip: String? = nil, userAgent: String? = nil,
        latitude: Double? = nil, longitude: Double? = nil, accuracy: Float? = nil, device: String? = nil
    ) {
        self.channel = channel
        self.ip = ip
        self.userAgent = userAgent
        self.latitude = latitude
        self.longitude = longitude
        self.accuracy = accuracy
        self.device = device
    }
}

public enum ClaimOutcome: Equatable, Sendable {
    /// The code's points, the balance after the claim and its awards, and what live campaigns
    /// awarded (none: empty).
    case claimed(points: Int, balance: Int64, awards: [ClaimAward] = [])
    /// Claimed before (by `member`, maybe the same person), at `at`.
    case alreadyClaimed(member: UUID, at: Date)
    /// A genuine code outside every batch: signed but never issued in a batch.
    case unknownBatch
    case notActive
    case voided
    case expired
    case dailyCap
}

/// What the landing page shows about a genuine code.
public struct CodeStatus: Sendable, Equatable {
    public var batchID: Int64
    public var productName: String
    public var imageURL: String?
    public var lot: String?
    public var productionDate: String?
    public var pointsPerCode: Int
    public var state: CodeState
    public var expired: Bool
    /// Who holds the claim now: the claimant, or the member it was merged into.
    public var claimedBy: UUID?
    public var claimedAt: Date?
    /// Whether the viewer asked about holds the claim (also when the viewer's own record was
    /// merged into the holder since they signed in).
    public var claimedByViewer: Bool
}

/// Claims codes for members, exactly once per code. See db/functions/claim_code.sql.
public struct ClaimStore: Sendable {
    let database: PostgresClient
    let logger: Logger
    /// Claims one member may make per day (0: no cap).
    let dailyCap: Int
    /// The time zone that "today" (daily caps, batch expiry) is counted in.
    let timeZone: String

    public init(database: PostgresClient, logger: Logger, dailyCap: Int = 0, timeZone: String = "Asia/Shanghai") {
        self.database = database
        self.logger = logger
        self.dailyCap = dailyCap
        self.timeZone = timeZone
    }

    /// Claims `code` for `member` in one statement, in an explicit transaction: the outcome is
    /// returned only once COMMIT has, so a consumer is never shown points that are not durable.
    /// (A lone statement's implicit commit comes after its rows, which PostgresNIO hands over
    /// before the commit.) A deadlock is run again.
    public func claim(_ code: Code, for member: UUID, context: ClaimContext) async throws -> ClaimOutcome {
        try await database.transaction(logger: logger) { try await claim(code, for: member, context: context, on: $0) }
    }

    /// The same, on the caller's connection (inside its transaction, if it has one).
    public func claim(_ code: Code, for member: UUID, context: ClaimContext, on connection: PostgresConnection) async throws -> ClaimOutcome
    {
        let statement = ClaimCodeStatement(
            kid: Int16(code.kid), serial: Int64(code.serial), member: member, context: context, dailyCap: dailyCap, timeZone: timeZone)
        for try await (outcome, points, balance, claimedBy, claimedAt, awards) in try await connection.execute(statement, logger: logger) {
            switch outcome {
            case "claimed": return .claimed(points: points ?? 0, balance: balance ?? 0, awards: try ClaimAward.list(fromJSON: awards))
            case "already_claimed": return .alreadyClaimed(member: claimedBy!, at: claimedAt!)
            default:
                guard let refusal = ClaimOutcome(refusalName: outcome) else {
                    throw UnexpectedSQLOutcome(function: "claim_code", outcome: outcome)
                }
                return refusal
            }
        }
        throw StoreError(.conflict, .claimFailed, "the claim returned no outcome")
    }

    /// The product, batch and claim behind a genuine code, or nil if no batch holds it.
    public func status(of code: Code, viewer: UUID? = nil) async throws -> CodeStatus? {
        let rows = try await database.execute(
            CodeStatusStatement(kid: Int16(code.kid), serial: Int64(code.serial), viewer: viewer, timeZone: timeZone), logger: logger)
        for try await (batch, name, image, lot, produced, points, state, expired, member, at, byViewer) in rows {
            return CodeStatus(
                batchID: batch, productName: name, imageURL: image, lot: lot, productionDate: produced,
                pointsPerCode: points, state: CodeState(rawValue: state) ?? .created, expired: expired,
                claimedBy: member, claimedAt: at, claimedByViewer: byViewer
            )
        }
        return nil
    }
}
