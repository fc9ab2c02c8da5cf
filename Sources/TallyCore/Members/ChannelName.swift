/// The name of a channel a member is known or served through (`phone`, `web`, `api`,
/// `wechat_unionid`, `tmall`, …): a lower-case ASCII letter, then 1 to 31 lower-case ASCII
/// letters, digits or `_` — `[a-z][a-z0-9_]{1,31}`. The one definition of that rule for
/// identities, API claims, rewards' channel lists, the redemption channel and the rewards'
/// `channel` filter. The database keeps its own guard: the CHECK on
/// `member_identities.channel` (db/migrations/0001_schema.sql) mirrors this rule.
///
/// (A batch's `channel` is something else: free text of its sales channel.)
public struct ChannelName: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// The name, if `rawValue` follows the rule. Written out byte by byte: a regex literal is
    /// parsed again on every call, which was a tenth of the claim API's CPU time in the server.
    public init?(rawValue: String) {
        let bytes = rawValue.utf8
        guard (2...32).contains(bytes.count), let first = bytes.first, Self.isLetter(first),
            bytes.allSatisfy({ Self.isLetter($0) || Self.isDigit($0) || $0 == UInt8(ascii: "_") })
        else { return nil }
        self.rawValue = rawValue
    }

    /// The name, or a 422 `invalid_channel` for text that breaks the rule.
    public init(validating text: String) throws {
        guard let name = ChannelName(rawValue: text) else { throw Self.invalid }
        self = name
    }

    /// The refusal of a channel name that breaks the rule.
    public static let invalid = StoreError(.invalid, .invalidChannel, "channel is 2 to 32 lower-case letters, digits or _")

    public static let phone = ChannelName(rawValue: "phone")!
    public static let web = ChannelName(rawValue: "web")!
    public static let api = ChannelName(rawValue: "api")!

    public var description: String { rawValue }

    private static func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
