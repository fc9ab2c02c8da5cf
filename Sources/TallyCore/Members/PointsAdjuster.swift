import Foundation
import Logging
import PostgresNIO

/// A manual credit or debit by the CRM: a goodwill gesture, a correction.
public struct Adjustment: Sendable, Codable, Equatable {
    /// Positive credits (a new lot, with the programme's expiry), negative debits (taken from
    /// the lots that expire first).
    public var points: Int64
    public var reason: String

    public static let maxPoints: Int64 = 10_000_000

    public init(points: Int64, reason: String) {
        self.points = points
        self.reason = reason
    }

    func validate() throws {
        guard points != 0, points.magnitude <= Self.maxPoints.magnitude else {
            throw StoreError(.invalid, .invalidPoints, "points is a non-zero whole number from -\(Self.maxPoints) to \(Self.maxPoints)")
        }
        try TextRules.check(reason, field: "reason", invalid: .invalidReason, lengths: 1...500)
    }
}

public struct AdjustmentResult: Sendable, Codable, Equatable {
    public var memberId: UUID
    public var entryId: Int64
    public var points: Int64
    public var balance: Int64
}

/// Writes adjustments through `adjust_points` (one round trip), with the acting key as the
/// ledger entry's actor and the reason beside it: the audit record.
public struct PointsAdjuster: Sendable {
    /// What `adjust_points` returns as its `outcome`.
    enum SQLOutcome: String, CaseIterable {
        case adjusted
        case insufficientPoints = "insufficient_points"
    }

    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func adjust(_ member: UUID, _ adjustment: Adjustment, actor: String, on connection: PostgresConnection) async throws
        -> AdjustmentResult
    {
        try adjustment.validate()
        let rows = try await connection.query(
            """
            SELECT outcome, member_id, entry_id, balance
            FROM adjust_points(\(member), \(adjustment.points)::int8, \(adjustment.reason), \(actor))
            """, logger: logger)
        for try await (text, owner, entry, balance) in rows.decode((String, UUID, Int64?, Int64).self) {
            switch SQLOutcome(rawValue: text) {
            case .adjusted?:
                guard let entry else { break }
                return AdjustmentResult(memberId: owner, entryId: entry, points: adjustment.points, balance: balance)
            case .insufficientPoints?:
                throw StoreError(
                    .invalid, .insufficientPoints, "the member has \(balance) points, fewer than the \(-adjustment.points) to debit")
            case nil:
                throw UnexpectedSQLOutcome(function: "adjust_points", outcome: text)
            }
        }
        throw StoreError(.notFound, .memberNotFound, "no member \(member.uuidString.lowercased())")
    }
}
