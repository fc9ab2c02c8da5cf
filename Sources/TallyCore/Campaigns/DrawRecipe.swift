import Crypto
import Foundation

/// How a campaign's instant-win draw picks a code's prize: the published recipe, in Swift, so
/// that anyone holding the campaign's secret (published when it ends) can check every draw.
/// The claim path computes the same in SQL (db/functions/campaign_ticket.sql, campaign_prize.sql);
/// docs/campaign-reports.md, "Checking a draw", walks through an example.
public enum DrawRecipe {
    /// One prize of a draw's table, in the table's order.
    public struct Prize: Sendable, Equatable {
        public let key: String
        /// Its share of the million tickets.
        public let probabilityPPM: Int

        public init(key: String, probabilityPPM: Int) {
            self.key = key
            self.probabilityPPM = probabilityPPM
        }
    }

    /// The code's ticket, 0 to 999,999:
    /// 1. HMAC-SHA256 with the secret as key over the ASCII text `<kid>:<serial>` (decimal, e.g. `1:1000007`);
    /// 2. the first 6 bytes of the MAC as a big-endian number x (0 ≤ x < 2^48);
    /// 3. ticket = x × 1,000,000 / 2^48, rounded down.
    public static func ticket(secret: [UInt8], kid: Int, serial: Int64) -> Int {
        let message = Array("\(kid):\(serial)".utf8)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let x = mac.prefix(6).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // x × 1,000,000 needs up to 68 bits: multiplied in 128, then shifted down by 48.
        let product = x.multipliedFullWidth(by: 1_000_000)
        return Int(product.high << 16 | product.low >> 48)
    }

    /// The prize the ticket wins: the first prize, in the table's order, whose running sum of
    /// `probabilityPPM` is above the ticket; nil when the ticket is past them all (no prize).
    public static func prize(ticket: Int, prizes: [Prize]) -> String? {
        var upTo = 0
        for prize in prizes {
            upTo += prize.probabilityPPM
            if ticket < upTo { return prize.key }
        }
        return nil
    }
}
