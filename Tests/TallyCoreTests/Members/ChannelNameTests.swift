import Foundation
import Testing

@testable import TallyCore

@Suite("ChannelName: [a-z][a-z0-9_]{1,31}")
struct ChannelNameTests {
    @Test(
        "accepted names",
        arguments: [
            "ab", "a1", "a_", "web", "api", "phone", "wechat_unionid", "tmall2", "z9_8",
            String(repeating: "x", count: 32), "a" + String(repeating: "_", count: 31),
        ])
    func accepted(_ text: String) throws {
        #expect(ChannelName(rawValue: text)?.rawValue == text)
        #expect(try ChannelName(validating: text).rawValue == text)
    }

    @Test(
        "refused names",
        arguments: [
            "", "a", String(repeating: "x", count: 33), "Web", "wEb", "WEB", "1a", "12", "_a", "__",
            "we-chat", "we chat", " web", "web ", "wéb", "é_x", "ｗeb", "a\u{301}b", "ab\u{301}",
            "web\u{0}", "\u{0}web", "we\u{0}b", "we\nb", "web.cn", "微信",
        ])
    func refused(_ text: String) {
        #expect(ChannelName(rawValue: text) == nil, "\(text.unicodeScalars.map(\.value))")
        #expect(throws: ChannelName.invalid) { try ChannelName(validating: text) }
    }

    @Test("lengths are counted in bytes: 2 and 32 accepted, 1 and 33 refused")
    func lengths() {
        #expect(ChannelName(rawValue: "a") == nil)
        #expect(ChannelName(rawValue: "ab") != nil)
        #expect(ChannelName(rawValue: String(repeating: "a", count: 32)) != nil)
        #expect(ChannelName(rawValue: String(repeating: "a", count: 33)) == nil)
        // 2 characters but 3 bytes: refused like any non-ASCII name.
        #expect(ChannelName(rawValue: "aé") == nil)
    }

    @Test("the refusal is a 422 invalid_channel")
    func refusal() {
        #expect(ChannelName.invalid.kind == .invalid)
        #expect(ChannelName.invalid.code == .invalidChannel)
    }

    @Test("Codable as its raw value; decoding refuses a name that breaks the rule")
    func codable() throws {
        let data = try JSONEncoder().encode([ChannelName.web, ChannelName.phone])
        #expect(String(decoding: data, as: UTF8.self) == #"["web","phone"]"#)
        #expect(try JSONDecoder().decode([ChannelName].self, from: data) == [.web, .phone])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ChannelName].self, from: Data(#"["Web"]"#.utf8)) }
    }

    @Test("identities are checked by the same rule")
    func identities() {
        #expect(throws: ChannelName.invalid) { try Identity(channel: "WeChat", externalId: "x").validate() }
        #expect(throws: Never.self) { try Identity(channel: "wechat", externalId: "x").validate() }
    }
}
