import Foundation

/// Building the console's own addresses: query values percent-encoded.
enum ConsoleURL {
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// `path?name=value&…`, leaving out nil values.
    static func make(_ path: String, _ query: [(String, String?)]) -> String {
        let items = query.compactMap { name, value in value.map { "\(encode(name))=\(encode($0))" } }
        return items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    /// An address to put in an attribute of markup written as a string.
    static func attribute(_ url: String) -> String {
        HTML.escaped(url)
    }

    private static let unreserved: CharacterSet = {
        var set = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        set.insert(charactersIn: "-._~")
        return set
    }()
}
