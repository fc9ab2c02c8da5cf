import Crypto
import Foundation
import TallyCodes

/// Signs and checks the consumer's session cookie, and makes CSRF tokens, with the session key.
///
/// A session is `<member uuid>.<expiry, unix seconds>.<HMAC, 32 hex>`: stateless, so the
/// landing page needs no database read to know who is signed in.
struct SessionSigner: Sendable {
    static let sessionCookie = "tally_session"
    static let csrfCookie = "tally_csrf"
    static let lifetime: TimeInterval = 30 * 24 * 3600

    /// An HMAC keyed once; each signature starts from a copy.
    private let keyed: HMAC<SHA256>

    init(key: [UInt8]) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: key))
    }

    func session(for member: UUID, now: Date = Date()) -> String {
        let payload = "\(member.uuidString.lowercased()).\(Int(now.timeIntervalSince1970 + Self.lifetime))"
        return payload + "." + mac(payload)
    }

    /// The member a session cookie names, if its signature is right and it has not expired.
    func member(fromSession value: String, now: Date = Date()) -> UUID? {
        let parts = value.split(separator: ".")
        guard parts.count == 3, let member = UUID(uuidString: String(parts[0])), let expiry = Int(parts[1]),
            Double(expiry) > now.timeIntervalSince1970
        else { return nil }
        let expected = Array(mac("\(parts[0]).\(parts[1])").utf8)
        let given = Array(parts[2].utf8)
        guard given.count == expected.count else { return nil }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 ? member : nil
    }

    /// The CSRF token of the forms of a visitor: an HMAC, under the session key, of what the
    /// visit is anchored to (the session cookie when signed in, else the random visitor id
    /// the server put in the `tally_csrf` cookie). A cookie planted by someone else gives them
    /// no token to go with it: they cannot compute the HMAC, and a signed-in visitor's
    /// token is bound to a session cookie they cannot read or set.
    func csrfToken(anchor: String) -> String {
        mac("csrf:" + anchor)
    }

    /// A new random visitor id for the `tally_csrf` cookie: 32 hex digits.
    static func newCSRFToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let words: [UInt64] = [generator.next(), generator.next()]
        return Hex.lowercase(words.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } })
    }

    /// `value` with a signature: the console's session cookie (`value.MAC`).
    func signed(_ value: String) -> String {
        value + "." + mac("signed:" + value)
    }

    /// The value of a `signed` text whose signature is right, else nil.
    func verified(_ text: String) -> String? {
        guard let dot = text.lastIndex(of: ".") else { return nil }
        let value = String(text[..<dot])
        let given = Array(text[text.index(after: dot)...].utf8)
        let expected = Array(mac("signed:" + value).utf8)
        guard given.count == expected.count else { return nil }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 ? value : nil
    }

    private func mac(_ payload: String) -> String {
        var hmac = keyed
        hmac.update(data: Array(payload.utf8))
        return Hex.lowercase(hmac.finalize().prefix(16))
    }
}
