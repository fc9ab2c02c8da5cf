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

    /// What `merge_members` returns as its `outcome`.
    enum SQLOutcome: String, CaseIterable {
        case merged
        case sameMember = "same_member"
        case unknownMember = "unknown_member"
        case alreadyMerged = "already_merged"
    }

    public init(logger: Logger) {
        self.logger = logger
    }

    public func merge(_ absorbed: UUID, into survivor: UUID, reason: String, actor: String, on connection: PostgresConnection) async throws
        -> MergeResult
    {
        try TextRules.check(reason, field: "reason", invalid: .invalidReason, lengths: 1...500)
        let rows = try await connection.query(
            """
            SELECT outcome, points_moved, identities_moved, balance FROM merge_members(\(survivor), \(absorbed), \(reason), \(actor))
            """, logger: logger)
        for try await (text, points, identities, balance) in rows.decode((String, Int64?, Int?, Int64?).self) {
            guard let outcome = SQLOutcome(rawValue: text) else { throw UnexpectedSQLOutcome(function: "merge_members", outcome: text) }
            switch outcome {
            case .merged:
                return MergeResult(
                    memberId: survivor, absorbedId: absorbed, pointsMoved: points ?? 0, identitiesMoved: identities ?? 0,
                    balance: balance ?? 0)
            case .sameMember:
                throw StoreError(.invalid, .sameMember, "a member cannot be merged into itself")
            case .unknownMember:
                throw StoreError(.notFound, .memberNotFound, "no member \(absorbed.uuidString.lowercased())")
            case .alreadyMerged:
                throw StoreError(.conflict, .alreadyMerged, "one of the two members was already merged into another")
            }
        }
        throw StoreError(.conflict, .mergeFailed, "the merge returned no outcome")
    }
}
