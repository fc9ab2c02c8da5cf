import TallyCodes
import Testing

@Suite("URL forms and GTIN")
struct CodeLinkTests {
    let code = testRing.mint(kid: 1, serial: 1_000_000_123)!

    @Test("short and GS1 Digital Link URLs")
    func urls() throws {
        #expect(CodeLink.short(host: "Tally.CN", code: code) == "https://tally.cn/Q/100XSNJKV2X7HSAVAG")
        let gtin = try GTIN("09506000134352")
        #expect(
            CodeLink.gs1(host: "tally.cn", gtin: gtin, code: code)
                == "https://tally.cn/01/09506000134352/21/100XSNJKV2X7HSAVAG")
    }

    @Test(
        "the code is read back from every URL form",
        arguments: [
            "https://tally.cn/Q/100XSNJKV2X7HSAVAG",
            "https://tally.cn/q/100xsnjkv2x7hsavag",
            "HTTPS://TALLY.CN/Q/100XSNJKV2X7HSAVAG?src=wechat",
            "https://tally.cn/01/09506000134352/21/100XSNJKV2X7HSAVAG",
            "/Q/100XSNJKV2X7HSAVAG",
            "100XSN-JKV2X7-HSAVAG",
        ])
    func codeFromURL(input: String) {
        #expect(testRing.check(CodeLink.codeText(in: input)) == .valid(code))
    }

    @Test("GTIN check digits")
    func gtin() throws {
        #expect(try GTIN("09506000134352").digits == "09506000134352")
        #expect(try GTIN("4006381333931").digits == "04006381333931") // GTIN-13
        #expect(try GTIN("036000291452").digits == "00036000291452") // GTIN-12 (UPC-A)
        #expect(try GTIN("96385074").digits == "00000096385074") // GTIN-8
        #expect(throws: GTIN.Problem.badCheckDigit(expected: 2)) { try GTIN("09506000134353") }
        #expect(throws: GTIN.Problem.wrongLength(11)) { try GTIN("12345678901") }
        #expect(throws: GTIN.Problem.notDigits) { try GTIN("0950600013435X") }
    }

    @Test("export lines: CSV with header, and plain URLs")
    func lines() throws {
        let csv = CodeLines(format: .csv, host: "tally.cn")
        var buffer = csv.header
        csv.append(code, to: &buffer)
        #expect(
            String(decoding: buffer, as: UTF8.self) == """
                serial,code,grouped,url
                1000000123,100XSNJKV2X7HSAVAG,100XSN-JKV2X7-HSAVAG,https://tally.cn/Q/100XSNJKV2X7HSAVAG

                """)
        let txt = CodeLines(format: .txt, host: "tally.cn", gtin: try GTIN("09506000134352"))
        var plain = txt.header
        txt.append(code, to: &plain)
        #expect(String(decoding: plain, as: UTF8.self) == "https://tally.cn/01/09506000134352/21/100XSNJKV2X7HSAVAG\n")
    }
}
