import TallyCore
import Testing

@Suite("Mobile numbers to E.164")
struct PhoneNumberTests {
    @Test(
        "mainland China numbers, however typed",
        arguments: [
            "13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "8613800138000",
            "008613800138000", "+86 (138) 0013-8000", "１３８００１３８０００",
        ])
    func china(input: String) throws {
        #expect(try PhoneNumber(input).e164 == "+8613800138000")
    }

    @Test("other countries with their + and country code")
    func international() throws {
        #expect(try PhoneNumber("+44 7700 900123").e164 == "+447700900123")
        #expect(try PhoneNumber("+1 (415) 555-0100").e164 == "+14155550100")
        #expect(try PhoneNumber("+8613800138000").masked == "138****8000")
        #expect(try PhoneNumber("+447700900123").masked == "+44******0123")
    }

    @Test(
        "what is not a mobile number is refused with the reason",
        arguments: [
            ("", PhoneNumber.Problem.empty),
            ("  ", .empty),
            ("1380013800a", .invalidCharacters),
            ("138+00138000", .invalidCharacters),
            ("12800138000", .notAMobileNumber), // 12x is not a mobile prefix
            ("1380013800", .notAMobileNumber), // 10 digits
            ("+86 23 1234 5678", .notAMobileNumber), // a landline
            ("07700900123", .notAMobileNumber), // national form of a foreign number
            ("+0 1234567", .notAMobileNumber),
            ("+1234567890123456", .notAMobileNumber), // 16 digits
        ])
    func invalid(input: String, problem: PhoneNumber.Problem) {
        #expect(throws: problem) { try PhoneNumber(input) }
    }
}
