import Foundation
import TallyCodes
import TallyTestSupport
import Testing

@testable import TallyCore

/// The texts SQL functions return (an `outcome` column, or api_claim's SQLSTATE TL001 message),
/// found in the SQL files under db/, against the one place the Swift side reads each function's:
/// every text maps (to an outcome or an `ErrorCode`), so none can reach a client as a 500.
@Suite("SQL outcomes")
struct SQLOutcomeTests {
    /// Whether the Swift side knows each function's texts, asked of the code that reads them.
    static let readers: [String: @Sendable (String) -> Bool] = [
        "claim_code": { ["claimed", "already_claimed"].contains($0) || ClaimOutcome(refusalName: $0) != nil },
        // claimed and replayed are its answers (APIClaimStore.Answer.outcome); invalid_input
        // stands for the identity error the server found before the call.
        "api_claim": { ["claimed", "replayed", "invalid_input"].contains($0) || apiClaimRefusal($0) != nil },
        // Called by api_claim only: their refusals are api_claim's.
        "claim_member": { apiClaimRefusal($0) != nil },
        "create_member": { apiClaimRefusal($0) != nil },
        "redeem_reward": { $0 == "redeemed" || RedemptionRefusal(rawValue: $0) != nil },
        "cancel_redemption": { RedemptionStore.CancelSQLOutcome(rawValue: $0) != nil },
        "merge_members": { MemberMerger.SQLOutcome(rawValue: $0) != nil },
        "adjust_points": { PointsAdjuster.SQLOutcome(rawValue: $0) != nil },
    ]

    @Test("every outcome a SQL function returns is read by the server")
    func everyOutcomeMaps() throws {
        let found = try Self.outcomes()
        #expect(Set(found.keys) == Set(Self.readers.keys), "functions returning outcomes: \(found.keys.sorted())")
        for (function, texts) in found {
            guard let reads = Self.readers[function] else { continue }
            for text in texts.sorted() {
                #expect(reads(text), "\(function) returns \"\(text)\", which the server does not read")
            }
        }
        // api_claim passes claim_code's refusals on as its own.
        for text in found["claim_code", default: []] where text != "claimed" {
            #expect(Self.apiClaimRefusal(text) != nil, "api_claim passes on \"\(text)\", which the server does not read")
        }
    }

    @Test("api_claim's refusals are the codes documented for them")
    func apiClaimCodes() {
        let expected: [String: ErrorCode] = [
            "idempotency_key_reused": .idempotencyKeyReused, "identity_conflict": .identityConflict,
            "identity_taken": .identityConflict, "member_not_created": .memberNotCreated, "claim_failed": .claimFailed,
            "already_claimed": .alreadyClaimed, "unknown_batch": .notActive, "not_active": .notActive,
            "voided": .voided, "expired": .expired, "daily_cap": .dailyCap,
        ]
        for (text, code) in expected {
            #expect((Self.apiClaimRefusal(text) as? StoreError)?.code == code, "\(text)")
        }
        #expect(Self.apiClaimRefusal("unauthorized") is APIKeyRejected)
        #expect(Self.apiClaimRefusal("no_such_refusal") == nil)
    }

    /// What APIClaimStore makes of a refusal of api_claim, with the detail it comes with.
    static func apiClaimRefusal(_ name: String) -> (any Error)? {
        let details = [
            "identity_taken": #"{"identity": "channel"}"#,
            "already_claimed": #"{"claimed_by": "\#(UUID())", "claimed_at": 1767225600.5, "member": "\#(UUID())"}"#,
        ]
        let key = APIKey(
            id: UUID(), name: "test", prefix: "tly_test", scopes: [.claim], createdAt: Date(), expiresAt: nil, revokedAt: nil
        )
        let request = APIClaimStore.Request(
            apiKey: key, key: "k", requestHash: [], code: Code(kid: 1, serial: 1, tag: 0),
            identity: Identity(channel: "tmall", externalId: "t1"), phone: nil, context: ClaimContext(channel: "tmall")
        )
        return APIClaimStore.refusal(name, detail: details[name], of: request)
    }

    /// The texts each function in db/ may return, by function: `outcome := '…'`,
    /// `RETURN QUERY SELECT '…'` (and the branches of a CASE there), `RAISE EXCEPTION '…'
    /// USING ERRCODE = 'TL001'` and the default of a raised outcome.
    static func outcomes() throws -> [String: Set<String>] {
        let text = try sqlText()
        let patterns = [
            /\boutcome\s*:=\s*'([a-z_]+)'/,
            /RETURN\s+QUERY\s+SELECT\s+'([a-z_]+)'/,
            /RETURN\s+QUERY\s+SELECT\s+CASE\s+\w+\s+WHEN\s+'[a-z_]+'\s+THEN\s+'([a-z_]+)'/,
            /RETURN\s+QUERY\s+SELECT\s+CASE\s+\w+\s+WHEN\s+'[a-z_]+'\s+THEN\s+'[a-z_]+'\s+ELSE\s+'([a-z_]+)'/,
            /RAISE\s+EXCEPTION\s+'([a-z_]+)'\s+USING\s+ERRCODE\s*=\s*'TL001'/,
            /RAISE\s+EXCEPTION\s+'%',\s*coalesce\([^,]+,\s*'([a-z_]+)'\)\s+USING\s+ERRCODE\s*=\s*'TL001'/,
        ]
        let functions = text.matches(of: /CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)/)
        var found: [String: Set<String>] = [:]
        for (index, function) in functions.enumerated() {
            let end = index + 1 < functions.count ? functions[index + 1].range.lowerBound : text.endIndex
            let body = text[function.range.upperBound..<end]
            for pattern in patterns {
                for match in body.matches(of: pattern) { found[String(function.1), default: []].insert(String(match.1)) }
            }
        }
        return found
    }

    /// Every .sql file in db/migrations and db/functions, in name order.
    static func sqlText() throws -> String {
        let db = URL(fileURLWithPath: TestDatabase.schemaDirectory)
        var text = ""
        for folder in ["migrations", "functions"] {
            let directory = db.appendingPathComponent(folder)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            for name in names.sorted() where name.hasSuffix(".sql") {
                text += try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) + "\n"
            }
        }
        return text
    }
}
