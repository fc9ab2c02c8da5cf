import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

/// Retries of API claims whose answer was stored in either form: the claim's result (since
/// migration 0010, written into the 201 body by the server), or a status and body (written by
/// api_claim in SQL before), which is sent back byte for byte.
@Suite("Replays of stored claim answers")
struct ClaimReplayTests {
    @Test("a key whose answer was stored as a status and body (before 0010) replays those bytes, whatever they say")
    func recordedAnswer() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let body = ClaimAPITests.ClaimBody(code: app.code(batch, 3).text, channel: "wechat_unionid", externalID: ClaimAPITests.unionID)
            let first = try await ClaimAPITests.claim(app, body, key: "before-0010")
            #expect(first.status == .created)
            let stored = try await stored(app, key: "before-0010")
            #expect(stored?.status == 0 && stored?.hasResult == true, "a claim's result is stored, not its body")

            // The row as api_claim wrote it before 0010, with a body no claim would get now,
            // so that only the stored bytes can explain the answer.
            let old = Array(String(buffer: first.body).replacingOccurrences(of: "\"balance\":10", with: "\"balance\":1234").utf8)
            try await app.database.query(
                """
                UPDATE idempotency_keys SET status = 201, response = \(ByteBuffer(bytes: old)),
                    claim_member = NULL, claim_points = NULL, claim_balance = NULL
                WHERE key = 'before-0010'
                """, logger: TestDatabase.logger)
            let retry = try await ClaimAPITests.claim(app, body, key: "before-0010")
            #expect(retry.status == .created)
            #expect(retry.headers[ClaimAPITests.idempotentReplayed] == "true")
            #expect(retry.headers[.contentType] == "application/json; charset=utf-8")
            #expect(Array(buffer: retry.body) == old)
            #expect(try await app.count("claims") == 1)
        }
    }

    /// The stored status, and whether the claim's result is stored, for a key.
    private func stored(_ app: TestApp, key: String) async throws -> (status: Int, hasResult: Bool)? {
        let rows = try await app.database.query(
            """
            SELECT status::int, claim_member IS NOT NULL FROM idempotency_keys WHERE key = \(key)
            """, logger: TestDatabase.logger)
        for try await row in rows.decode((Int, Bool).self) { return row }
        return nil
    }
}
