import Foundation
import Logging
import PostgresNIO

/// What a merge moved into the survivor.
public struct MergeResult: Sendable, Codable, Equatable {
    public var memberId: UUID
    public var absorbedId: UUID
    public var pointsMoved: Int64
    public var identitiesMoved: Int
    public var balance: Int64
}

/// Merges two member records that turn out to be one person, through `merge_members`:
/// one transaction moves identities, lots, redemptions and balance, and records the merge.
public struct MemberMerger: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func merge(_ absorbed: UUID, into survivor: UUID, reason: String, actor: String, on connection: PostgresConnection) async throws -> MergeResult {
        try TextRules.check(reason, field: "reason", lengths: 1...500)
        let rows = try await connection.query("""
            SELECT outcome, points_moved, identities_moved, balance FROM merge_members(\(survivor), \(absorbed), \(reason), \(actor))
            """, logger: logger)
        for try await (outcome, points, identities, balance) in rows.decode((String, Int64?, Int?, Int64?).self) {
            switch outcome {
            case "merged":
                return MergeResult(memberId: survivor, absorbedId: absorbed, pointsMoved: points ?? 0, identitiesMoved: identities ?? 0, balance: balance ?? 0)
            case "same_member":
                throw StoreError(.invalid, "same_member", "a member cannot be merged into itself")
            case "unknown_member":
                throw StoreError(.notFound, "member_not_found", "no member \(absorbed.uuidString.lowercased())")
            default:
                throw StoreError(.conflict, "already_merged", "one of the two members was already merged into another")
            }
        }
        throw StoreError(.conflict, "merge_failed", "the merge returned no outcome")
    }
}
