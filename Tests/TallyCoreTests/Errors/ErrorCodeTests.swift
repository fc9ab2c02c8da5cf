import Testing

@testable import TallyCore

@Suite("ErrorCode")
struct ErrorCodeTests {
    @Test("every code is snake_case ASCII, as clients match it")
    func snakeCase() {
        for code in ErrorCode.allCases {
            #expect(code.rawValue.wholeMatch(of: /[a-z][a-z0-9]*(_[a-z0-9]+)*/) != nil, "\(code.rawValue)")
        }
    }

    @Test("codes encode as their raw value")
    func encoding() {
        #expect(ErrorCode.memberNotFound.rawValue == "member_not_found")
        #expect(ErrorCode.internal.rawValue == "internal")
        #expect(ErrorCode.invalidJSON.rawValue == "invalid_json")
    }

    @Test("each redemption refusal has its own code, and back")
    func redemptionRefusals() {
        for refusal in RedemptionRefusal.allCases {
            #expect(refusal.code.rawValue == refusal.rawValue)
            #expect(RedemptionRefusal(code: refusal.code) == refusal)
        }
        #expect(RedemptionRefusal(code: .memberNotFound) == nil)
    }
}
