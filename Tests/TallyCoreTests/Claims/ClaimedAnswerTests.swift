import Foundation
import Testing

@testable import TallyCore

/// The claim's 201 body is written by hand on the hot path: it must be what the API's JSON
/// encoder (sorted snake_case keys) writes, byte for byte.
@Suite("The claim's 201 body")
struct ClaimedAnswerTests {
    @Test("Claimed.json is JSONEncoder's output", arguments: [(0, Int64(0)), (10, Int64(1_234_567_890)), (-5, Int64(-1))])
    func sameAsEncoder(points: Int, balance: Int64) throws {
        let claimed = APIClaimStore.Claimed(code: "1000000005P70C7039", memberId: UUID(), points: points, balance: balance)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        #expect(try claimed.json == String(decoding: try encoder.encode(claimed), as: UTF8.self))
    }

    @Test("with awards too")
    func withAwards() throws {
        var claimed = APIClaimStore.Claimed(code: "1000000005P70C7039", memberId: UUID(), points: 10, balance: 40)
        claimed.awards = [
            ClaimAward(
                campaignId: 3, version: 2, name: .init(zh: "春节奖励", en: "Spring \"Festival\" / bonus"), effect: "bonus", points: 20),
            ClaimAward(
                campaignId: 4, version: 1, name: .init(zh: "抽奖", en: "Draw"), effect: "draw", points: 0,
                prize: .init(key: "pot", name: .init(zh: "炒锅", en: "cooking pot")), reward: .init(sku: "POT-1", name: "Pot"),
                voucher: "7KQ2-M9XD-4TRB-0HZE", redemptionId: UUID()),
        ]
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        #expect(try claimed.json == String(decoding: try encoder.encode(claimed), as: UTF8.self))
    }
}
