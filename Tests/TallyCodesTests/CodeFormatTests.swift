import TallyCodes
import Testing

@Suite("Code format v1")
struct CodeFormatTests {
    /// Published vectors: key bytes 0x00…0x1f (the same key under every kid).
    /// Any implementation of format v1 can check itself against this table.
    static let vectors: [(kid: UInt8, serial: UInt64, code: String)] = [
        (0, 0, "000000000XG0CNNZ0P"),
        (1, 0, "100000000H71A21531"),
        (1, 1, "1000000016P6X1GG35"),
        (1, 1_000_000_123, "100XSNJKV2X7HSAVAG"),
        (2, 42, "20000001AH8PM847JN"),
        (7, 123_456_789, "7003NQK8NNF59PNP2S"),
        (17, 549_755_813_887, "HFZZZZZZZY1VVBV3DT"),
        (30, 1_099_511_627_774, "YZZZZZZZYXTB8KSQAQ"),
        (31, 1_099_511_627_775, "ZZZZZZZZZEWGFBEF4X"),
    ]

    @Test("the design's test vector")
    func designVector() {
        let code = testRing.mint(kid: 1, serial: 1_000_000_123)!
        #expect(code.text == "100XSNJKV2X7HSAVAG")
        #expect(code.grouped == "100XSN-JKV2X7-HSAVAG")
    }

    @Test("published vectors mint and verify", arguments: vectors)
    func publishedVector(vector: (kid: UInt8, serial: UInt64, code: String)) {
        let code = testRing.mint(kid: vector.kid, serial: vector.serial)!
        #expect(code.text == vector.code)
        #expect(testRing.check(vector.code) == .valid(code))
    }

    @Test("mint then parse round-trips for random serials under every kid")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for kid in UInt8(0)...31 {
            for _ in 0..<200 {
                let serial = UInt64.random(in: 0...Code.maxSerial, using: &generator)
                let code = testRing.mint(kid: kid, serial: serial)!
                #expect(testRing.check(code.text) == .valid(code))
                #expect(testRing.check(code.grouped) == .valid(code))
                #expect(code.text.count == 18)
            }
        }
    }

    @Test("every single-character substitution is reported as a typo")
    func substitutions() {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        for serial: UInt64 in [0, 1_000_000_123, 77_777_777_777] {
            let text = Array(testRing.mint(kid: 3, serial: serial)!.text)
            for position in text.indices {
                for replacement in alphabet where replacement != text[position] {
                    var typed = text
                    typed[position] = replacement
                    #expect(testRing.check(String(typed)) == .typo, "\(String(typed))")
                }
            }
        }
    }

    @Test("every adjacent transposition is reported as a typo")
    func transpositions() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let serial = UInt64.random(in: 0...Code.maxSerial, using: &generator)
            let text = Array(testRing.mint(kid: UInt8.random(in: 0...31), serial: serial)!.text)
            for position in 0..<(text.count - 1) where text[position] != text[position + 1] {
                var typed = text
                typed.swapAt(position, position + 1)
                #expect(testRing.check(String(typed)) == .typo, "\(String(typed))")
            }
        }
    }

    @Test("a flipped tag bit, with a correct check character, is forged and never valid")
    func flippedTagBits() {
        let genuine = testRing.mint(kid: 1, serial: 1_000_000_123)!
        for bit in 0..<40 {
            let forged = Code(kid: genuine.kid, serial: genuine.serial, tag: genuine.tag ^ (1 << UInt64(bit)))
            #expect(testRing.check(forged.text) == .forged(kid: 1, serial: 1_000_000_123))
        }
    }

    @Test("a code signed with another key is forged")
    func otherKey() throws {
        let otherRing = try KeyRing([SigningKey(kid: 1, bytes: Array(repeating: 7, count: 32))])
        let code = otherRing.mint(kid: 1, serial: 5)!
        #expect(testRing.check(code.text) == .forged(kid: 1, serial: 5))
    }

    @Test("a code under a key id the ring does not hold is an unknown key")
    func unknownKid() throws {
        let ring = try KeyRing([SigningKey(kid: 1, bytes: testKeyBytes)])
        let code = testRing.mint(kid: 9, serial: 5)!
        #expect(ring.check(code.text) == .unknownKey(kid: 9))
        #expect(ring.mint(kid: 9, serial: 5) == nil)
    }

    @Test(
        "typed input is normalised",
        arguments: [
            "100xsnjkv2x7hsavag",
            "100XSN-JKV2X7-HSAVAG",
            "100 XSN JKV 2X7 HSA VAG",
            " 1OOXSNJKV2X7HSAVAG ", // O for 0
            "I00XSNJKV2X7HSAVAG", // I for 1
            "l00xsnjkv2x7hsavag", // l for 1
            "１００ＸＳＮ－ＪＫＶ２Ｘ７－ＨＳＡＶＡＧ", // full-width, as typed on a Chinese keyboard
        ])
    func normalisation(input: String) {
        #expect(testRing.check(input).code?.text == "100XSNJKV2X7HSAVAG")
        #expect(CodeInput.normalised(input) == "100XSNJKV2X7HSAVAG")
    }

    @Test("input not shaped like a code is malformed, with the reason")
    func malformed() {
        #expect(testRing.check("") == .malformed(.empty))
        #expect(testRing.check(" - ") == .malformed(.empty))
        #expect(testRing.check("100XSNJKV2X7HSAVA") == .malformed(.wrongLength(17)))
        #expect(testRing.check("100XSNJKV2X7HSAVAGG") == .malformed(.wrongLength(19)))
        #expect(testRing.check("100XSNJKV2X7HSAVAU") == .malformed(.invalidCharacter("U")))
        #expect(testRing.check("100XSNJKV2X7HSAVA!") == .malformed(.invalidCharacter("!")))
        #expect(testRing.check("码100XSNJKV2X7HSAVA") == .malformed(.invalidCharacter("码")))
        #expect(testRing.check(String(repeating: "A", count: 65)) == .malformed(.tooLong))
    }

    @Test("check results have stable names")
    func names() {
        #expect(CodeCheck.typo.name == "typo")
        #expect(CodeCheck.forged(kid: 1, serial: 1).name == "forged")
        #expect(CodeCheck.unknownKey(kid: 1).name == "unknown_key")
        #expect(CodeCheck.malformed(.empty).name == "malformed")
    }
}
