import Crypto
import Foundation
import TallyCodes

/// How Tally signs what it POSTs to others (SMS gateway, webhook receivers):
/// `X-Tally-Timestamp: <unix seconds>` and
/// `X-Tally-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
/// so a receiver can check the request came from Tally, unchanged, and recently.
enum WebhookSignature {
    static let timestampHeader = "X-Tally-Timestamp"
    static let signatureHeader = "X-Tally-Signature"

    /// The value of `X-Tally-Signature` for `body` sent at `timestamp`.
    static func header(secret: SymmetricKey, timestamp: String, body: Data) -> String {
        "sha256="
            + Hex.lowercase(HMAC<SHA256>.authenticationCode(for: Data((timestamp + ".").utf8) + body, using: secret))
    }

    /// Now, as `X-Tally-Timestamp` writes it.
    static func timestamp(_ date: Date = Date()) -> String {
        String(Int(date.timeIntervalSince1970))
    }
}
