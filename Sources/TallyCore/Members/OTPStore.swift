import Crypto
import Foundation
import Logging
import PostgresNIO

/// One-time sign-in codes: six digits, valid five minutes, single use, five attempts.
/// Only an HMAC of each code is stored. Requests are limited per phone and per address.
public struct OTPStore: Sendable {
    public struct Limits: Sendable {
        public var codeLifetime: Duration = .seconds(300)
        public var maxAttempts = 5
        /// The least time between two codes to one phone.
        public var resendInterval: Duration = .seconds(60)
        public var perPhonePerHour = 5
        public var perAddressPerHour = 20

        public init() {}
    }

    public enum Outcome: Equatable, Sendable {
        case verified
        case wrongCode(attemptsLeft: Int)
        /// No live code for this phone: never sent, expired or already used.
        case expired
        case tooManyAttempts
    }

    let database: PostgresClient
    let logger: Logger
    let secret: SymmetricKey
    let limits: Limits

    public init(database: PostgresClient, logger: Logger, secret: SymmetricKey, limits: Limits = Limits()) {
        self.database = database
        self.logger = logger
        self.secret = secret
        self.limits = limits
    }

    /// Makes a new code for `phone` and hands it to `deliver` (it is not stored). A code whose
    /// delivery throws is withdrawn before the error is rethrown: it cannot be used, and does not
    /// count against the phone's or the address's limits, so the person may ask again at once.
    public func issue(
        phone: PhoneNumber, ip: String?, deliver: (_ code: String, _ expiresAt: Date) async throws -> Void
    ) async throws {
        let (id, code, expiresAt) = try await issue(phone: phone, ip: ip)
        do {
            try await deliver(code, expiresAt)
        } catch {
            do {
                try await database.query("DELETE FROM otp_challenges WHERE id = \(id)", logger: logger)
            } catch let withdrawal {
                logger.warning("an undelivered sign-in code was not withdrawn", metadata: ["error": "\(withdrawal)"])
            }
            throw error
        }
    }

    /// Makes a new code for `phone`; returns its row and the code (which is not stored).
    func issue(phone: PhoneNumber, ip: String?) async throws -> (id: UUID, code: String, expiresAt: Date) {
        let rows = try await database.query(
            """
            SELECT
                (SELECT count(*) FROM otp_challenges WHERE phone = \(phone.e164) AND created_at > now() - interval '1 hour'),
                (SELECT count(*) FROM otp_challenges WHERE phone = \(phone.e164)
                    AND created_at > now() - make_interval(secs => \(Self.seconds(limits.resendInterval)))),
                (SELECT count(*) FROM otp_challenges WHERE \(ip)::inet IS NOT NULL AND ip = \(ip)::inet
                    AND created_at > now() - interval '1 hour')
            """, logger: logger)
        for try await (hourly, recent, fromAddress) in rows.decode((Int, Int, Int).self) {
            if recent > 0 {
                throw StoreError(.rateLimited, .codeRecentlySent, "a code was sent less than a minute ago; please wait before asking again")
            }
            if hourly >= limits.perPhonePerHour || fromAddress >= limits.perAddressPerHour {
                throw StoreError(.rateLimited, .tooManyCodes, "too many codes were requested; please try again in an hour")
            }
        }
        var generator = SystemRandomNumberGenerator()
        let code = String(format: "%06d", Int(generator.next() % 1_000_000))
        let expiresAt = Date().addingTimeInterval(Self.seconds(limits.codeLifetime))
        try CommitGate.willCommit() // a write outside a transaction
        let inserted = try await database.query(
            """
            INSERT INTO otp_challenges (phone, code_hash, ip, expires_at)
            VALUES (\(phone.e164), \(ByteBuffer(bytes: hash(phone: phone, code: code))), \(ip)::inet, \(expiresAt))
            RETURNING id
            """, logger: logger)
        for try await id in inserted.decode(UUID.self) { return (id, code, expiresAt) }
        throw StoreError(.conflict, .notCreated, "the sign-in code was not stored")
    }

    /// Checks a typed code against the newest live code for `phone`; a match uses it up.
    public func verify(phone: PhoneNumber, code typed: String) async throws -> Outcome {
        let code = typed.filter { !$0.isWhitespace }
        // Count the attempt first, so guessing costs attempts even when requests race.
        try CommitGate.willCommit() // a write outside a transaction
        let rows = try await database.query(
            """
            UPDATE otp_challenges SET attempts = attempts + 1
            WHERE id = (SELECT id FROM otp_challenges
                        WHERE phone = \(phone.e164) AND consumed_at IS NULL AND expires_at > now()
                        ORDER BY created_at DESC LIMIT 1)
            RETURNING id, code_hash, attempts
            """, logger: logger)
        for try await (id, stored, attempts) in rows.decode((UUID, ByteBuffer, Int).self) {
            guard attempts <= limits.maxAttempts else { return .tooManyAttempts }
            guard code.count == 6, constantTimeEqual(Array(buffer: stored), hash(phone: phone, code: code)) else {
                return attempts >= limits.maxAttempts ? .tooManyAttempts : .wrongCode(attemptsLeft: limits.maxAttempts - attempts)
            }
            try CommitGate.willCommit() // a write outside a transaction
            let used = try await database.query(
                """
                UPDATE otp_challenges SET consumed_at = now() WHERE id = \(id) AND consumed_at IS NULL RETURNING id
                """, logger: logger)
            for try await _ in used { return .verified }
            return .expired // used by a concurrent request a moment ago
        }
        return .expired
    }

    func hash(phone: PhoneNumber, code: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("otp:\(phone.e164):\(code)".utf8), using: secret))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
