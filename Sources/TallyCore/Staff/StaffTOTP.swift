import Foundation
import HummingbirdOTP

/// The second factor: RFC 6238 time-based codes (SHA-1, 6 digits, 30 s steps), as every
/// authenticator app (and `oathtool --totp -b`) makes them from a base32 secret.
///
/// HummingbirdOTP keys its HMAC with a secret's UTF-8 bytes, so a secret is drawn as 32 random
/// letters and digits (190 bits, above RFC 4226's 160) and kept, and shown, in base32.
public enum StaffTOTP {
    static let step: Int64 = 30

    /// A new secret, base32 without padding (52 characters).
    static func newSecret() -> String {
        let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        let raw = String((0..<32).map { _ in characters[Int.random(in: 0..<characters.count, using: &generator)] })
        return base32(Array(raw.utf8))
    }

    /// The time step a typed code is good for: the current one or either neighbour (clock
    /// drift), nil when it is none of them.
    static func matchingStep(of code: String, secret: String, at date: Date) -> Int64? {
        let typed = code.filter { !$0.isWhitespace }
        guard typed.count == 6, typed.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(typed),
            let raw = raw(secret)
        else { return nil }
        let totp = TOTP(secret: raw)
        let now = Int64(date.timeIntervalSince1970) / step
        for candidate in [now, now - 1, now + 1]
        where totp.compute(date: Date(timeIntervalSince1970: Double(candidate * step))) == value {
            return candidate
        }
        return nil
    }

    /// The otpauth:// URL an authenticator app reads (as a QR code or typed).
    public static func authenticatorURL(secret: String, name: String, issuer: String) -> String {
        TOTP(secret: raw(secret) ?? "").createAuthenticatorURL(label: name, issuer: issuer)
    }

    /// The code of `secret` at `date`, for tests and scripts that sign in.
    public static func code(secret: String, at date: Date = Date()) -> String {
        let value = TOTP(secret: raw(secret) ?? "").compute(date: date)
        let digits = String(value)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    static func base32(_ bytes: [UInt8]) -> String {
        var output = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }

    /// The secret as HummingbirdOTP takes it: the base32 decoded, as text.
    private static func raw(_ secret: String) -> String? {
        var bytes: [UInt8] = []
        var buffer = 0
        var bits = 0
        for character in secret {
            guard let index = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | index
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
            buffer &= (1 << bits) - 1
        }
        return String(bytes: bytes, encoding: .utf8)
    }
}
