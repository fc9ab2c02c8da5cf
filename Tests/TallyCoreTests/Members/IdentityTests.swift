import Testing

@testable import TallyCore

@Suite("Identity rules")
struct IdentityTests {
    @Test(
        "channel names are what the regex [a-z][a-z0-9_]{1,31} and the database's CHECK allow",
        arguments: [
            "wechat_unionid", "jd", "tmall", "own_site", "a1", "a_", String(repeating: "x", count: 32),
            "", "a", "1a", "_a", "WeChat", "wechat-id", "wechat id", String(repeating: "x", count: 33),
            "a\u{301}b", "ab\u{301}", "ａb", "wechat\u{0}", "é_x",
        ])
    func channelNames(_ name: String) {
        #expect(
            (ChannelName(rawValue: name) != nil) == (name.wholeMatch(of: /[a-z][a-z0-9_]{1,31}/) != nil),
            "\(name.unicodeScalars.map(\.value))")
    }
}
