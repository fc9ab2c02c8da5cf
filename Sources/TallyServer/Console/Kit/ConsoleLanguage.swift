import Foundation
import HTTPTypes

/// The console's two languages. Every page writes its words as a pair, `lang("会员", "Members")`,
/// next to where they are used.
enum ConsoleLanguage: String, Sendable {
    case zh
    case en

    static let cookie = "tally_console_lang"

    func callAsFunction(_ chinese: String, _ english: String) -> String {
        self == .zh ? chinese : english
    }

    /// `?lang=`, else the cookie, else the browser's first choice between the two; Chinese by default.
    static func choose(query: String?, cookie: String?, acceptLanguage: String?) -> ConsoleLanguage {
        if let query, let language = ConsoleLanguage(rawValue: query) { return language }
        if let cookie, let language = ConsoleLanguage(rawValue: cookie) { return language }
        if let acceptLanguage {
            for part in acceptLanguage.lowercased().split(separator: ",") {
                let tag = part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                if tag.hasPrefix("zh") { return .zh }
                if tag.hasPrefix("en") { return .en }
            }
        }
        return .zh
    }

    var other: ConsoleLanguage { self == .zh ? .en : .zh }
    /// The `lang` attribute of the page.
    var tag: String { self == .zh ? "zh-CN" : "en" }
}
