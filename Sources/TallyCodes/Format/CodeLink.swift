/// The URLs printed in QR symbols, and reading a code back out of one.
///
/// - short: `https://<host>/Q/<CODE>`, lower-case scheme and host, upper-case path, so the
///   path is encoded in QR alphanumeric mode and the symbol stays small.
/// - GS1 Digital Link: `https://<host>/01/<GTIN-14>/21/<CODE>`, readable by point-of-sale scanners.
public enum CodeLink {
    public enum Form: String, Sendable, CaseIterable {
        case short
        case gs1
    }

    public static func short(host: String, code: Code) -> String {
        "https://\(host.lowercased())/Q/\(code.text)"
    }

    public static func gs1(host: String, gtin: GTIN, code: Code) -> String {
        "https://\(host.lowercased())/01/\(gtin.digits)/21/\(code.text)"
    }

    /// The code part of a Tally URL path or full URL, or the input itself when it is not a URL.
    /// Accepts `/Q/<code>`, `/q/<code>` and `/01/<gtin>/21/<code>`, with or without scheme and host,
    /// and ignores a query string or fragment.
    public static func codeText(in input: String) -> Substring {
        var rest = Substring(input)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            rest = rest[rest.index(colon, offsetBy: 3)...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? ""
        }
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
        if parts.count == 2, parts[0] == "Q" || parts[0] == "q" { return parts[1] }
        if parts.count == 4, parts[0] == "01", parts[2] == "21" { return parts[3] }
        return Substring(input)
    }
}
