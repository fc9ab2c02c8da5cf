import Crypto
import Foundation
import Logging
import PostgresNIO
import TallyCodes

/// Staff accounts, their sign-in and sessions.
///
/// Sign-in checks the bcrypt hash, then the TOTP code (each time step good once), and counts
/// failures: `maxFailures` in a row lock the account for `lockout`. A session lasts at most
/// `sessionLifetime` and ends after `idleLimit` without a request.
public struct StaffStore: Sendable {
    let database: PostgresClient
    let logger: Logger
    let audit: StaffAudit
    public let idleLimit: TimeInterval
    public let sessionLifetime: TimeInterval

    public static let maxFailures = 5
    public static let lockout: TimeInterval = 15 * 60

    public init(database: PostgresClient, logger: Logger, idleLimit: TimeInterval = 30 * 60, sessionLifetime: TimeInterval = 12 * 3600) {
        self.database = database
        self.logger = logger
        self.audit = StaffAudit(database: database, logger: logger)
        self.idleLimit = idleLimit
        self.sessionLifetime = sessionLifetime
    }

    /// A new account: returns it and its TOTP secret (base32, shown once) when it has one.
    public func create(name: String, role: StaffRole, password: String, secondFactor: Bool, by actor: StaffAudit.Actor) async throws
        -> (StaffMember, totpSecret: String?)
    {
        try Self.checkName(name)
        try StaffPassword.check(password)
        guard secondFactor || role != .admin else {
            throw StoreError(.invalid, .secondFactorRequired, "an admin must have a second factor (TOTP)")
        }
        let secret = secondFactor ? StaffTOTP.newSecret() : nil
        let hash = StaffPassword.hash(password)
        return try await database.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO staff (name, role, password_hash, totp_secret) VALUES (\(name), \(role.rawValue), \(hash), \(secret))
                ON CONFLICT (name) DO NOTHING
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let member = try await Self.members(rows).first else {
                throw StoreError(.conflict, .staffNameTaken, "there is already a staff member named \(name)")
            }
            try await audit.record(actor, action: "staff.create", target: member.actor, before: nil, after: Listed(member), on: connection)
            return (member, secret)
        }
    }

    public func list() async throws -> [StaffMember] {
        try await Self.members(database.query("SELECT \(unescaped: Self.columns) FROM staff ORDER BY name", logger: logger))
    }

    public func get(name: String) async throws -> StaffMember {
        let rows = try await database.query("SELECT \(unescaped: Self.columns) FROM staff WHERE name = \(name)", logger: logger)
        guard let member = try await Self.members(rows).first else { throw Self.notFound(name) }
        return member
    }

    /// Disables (or enables again) an account; disabling ends its sessions at once.
    public func setDisabled(_ disabled: Bool, name: String, by actor: StaffAudit.Actor) async throws -> StaffMember {
        try await database.transaction(logger: logger) { connection in
            let before = try await Self.lock(name, on: connection, logger: logger)
            // The clock read outside the CASE: Citus refuses now() in one in an UPDATE of its tables.
            let rows = try await connection.query(
                """
                UPDATE staff SET disabled_at = CASE WHEN \(disabled) THEN coalesce(disabled_at, clock.now) END, updated_at = clock.now
                FROM (SELECT now()) AS clock (now)
                WHERE id = \(before.id) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let after = try await Self.members(rows).first else { throw Self.notFound(name) }
            if disabled { try await endSessions(of: before.id, on: connection) }
            try await audit.record(
                actor, action: disabled ? "staff.disable" : "staff.enable", target: after.actor, before: Listed(before),
                after: Listed(after), on: connection)
            return after
        }
    }

    /// A new password and (when the account has or must have one) a new TOTP secret; clears a
    /// lock-out and ends every session of the account.
    public func reset(name: String, password: String, secondFactor: Bool, by actor: StaffAudit.Actor) async throws
        -> (StaffMember, totpSecret: String?)
    {
        try StaffPassword.check(password)
        let hash = StaffPassword.hash(password)
        return try await database.transaction(logger: logger) { connection in
            let before = try await Self.lock(name, on: connection, logger: logger)
            guard secondFactor || before.role != .admin else {
                throw StoreError(.invalid, .secondFactorRequired, "an admin must have a second factor (TOTP)")
            }
            let secret = secondFactor ? StaffTOTP.newSecret() : nil
            let rows = try await connection.query(
                """
                UPDATE staff SET password_hash = \(hash), totp_secret = \(secret), totp_last_step = NULL, failed_sign_ins = 0,
                                 locked_until = NULL, updated_at = now()
                WHERE id = \(before.id) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let after = try await Self.members(rows).first else { throw Self.notFound(name) }
            try await endSessions(of: before.id, on: connection)
            try await audit.record(
                actor, action: "staff.reset", target: after.actor, before: Listed(before), after: Listed(after), on: connection)
            return (after, secret)
        }
    }

    /// Checks a sign-in and, when it is right, opens a session.
    public func signIn(name: String, password: String, code: String, ip: String?, userAgent: String?, now: Date = Date()) async throws
        -> StaffSignIn
    {
        let rows = try await database.query(
            "SELECT password_hash FROM staff WHERE name = \(name)", logger: logger)
        var hash: String?
        for try await stored in rows.decode(String.self) { hash = stored }
        // The slow hash is checked before any lock is taken; an unknown name costs as much.
        let passwordRight = StaffPassword.verify(password, hash: hash ?? StaffPassword.decoy) && hash != nil
        guard hash != nil else { return .refused }
        return try await database.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT id, role, totp_secret, totp_last_step, failed_sign_ins, locked_until, disabled_at
                FROM staff WHERE name = \(name) FOR UPDATE
                """, logger: logger)
            var found: (Int64, String, String?, Int64?, Int, Date?, Date?)?
            for try await row in rows.decode((Int64, String, String?, Int64?, Int, Date?, Date?).self) { found = row }
            guard let (id, roleName, secret, lastStep, failures, lockedUntil, disabledAt) = found, let role = StaffRole(rawValue: roleName)
            else { return .refused }
            let actor = StaffAudit.Actor(staffID: id, name: "staff:\(name)", ip: ip)
            if disabledAt != nil { return .disabled }
            if let lockedUntil, lockedUntil > now { return .locked(until: lockedUntil) }
            var step: Int64?
            if let secret {
                step = StaffTOTP.matchingStep(of: code, secret: secret, at: now)
            }
            let factorRight = secret == nil || (step != nil && step! > (lastStep ?? Int64.min))
            guard passwordRight && factorRight else {
                let locks = failures + 1 >= Self.maxFailures
                let until = now.addingTimeInterval(Self.lockout)
                try await connection.query(
                    """
                    UPDATE staff SET failed_sign_ins = CASE WHEN \(locks) THEN 0 ELSE failed_sign_ins + 1 END,
                                     locked_until = CASE WHEN \(locks) THEN \(until) ELSE locked_until END
                    WHERE id = \(id)
                    """, logger: logger)
                if locks {
                    try await audit.record(actor, action: "staff.locked", target: actor.name, before: nil, after: nil, on: connection)
                    return .locked(until: until)
                }
                return .refused
            }
            let sessionID = Self.newSessionID()
            let expiresAt = now.addingTimeInterval(sessionLifetime)
            try await connection.query(
                """
                UPDATE staff SET failed_sign_ins = 0, locked_until = NULL, totp_last_step = coalesce(\(step), totp_last_step) WHERE id = \(id)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO staff_sessions (id_hash, staff_id, expires_at, ip, user_agent)
                VALUES (\(Self.hash(sessionID)), \(id), \(expiresAt), \(ip)::inet, \(userAgent.map { String($0.prefix(500)) }))
                """, logger: logger)
            try await audit.record(actor, action: "staff.sign_in", target: actor.name, before: nil, after: nil, on: connection)
            return .signedIn(StaffSession(id: sessionID, staffID: id, name: name, role: role, expiresAt: expiresAt))
        }
    }

    /// The live session with this id, marked as seen now; nil when there is none, it has
    /// expired or idled out, or its account is disabled.
    public func session(id: String) async throws -> StaffSession? {
        let rows = try await database.query(
            """
            UPDATE staff_sessions ss SET last_seen_at = now()
            FROM staff s
            WHERE ss.id_hash = \(Self.hash(id)) AND s.id = ss.staff_id AND ss.ended_at IS NULL AND ss.expires_at > now()
              AND ss.last_seen_at > now() - make_interval(secs => \(idleLimit)) AND s.disabled_at IS NULL
            RETURNING s.id, s.name, s.role, ss.expires_at
            """, logger: logger)
        for try await (staffID, name, role, expiresAt) in rows.decode((Int64, String, String, Date).self) {
            guard let role = StaffRole(rawValue: role) else { return nil }
            return StaffSession(id: id, staffID: staffID, name: name, role: role, expiresAt: expiresAt)
        }
        return nil
    }

    public func signOut(_ session: StaffSession, ip: String?) async throws {
        try await database.transaction(logger: logger) { connection in
            try await connection.query(
                "UPDATE staff_sessions SET ended_at = now() WHERE id_hash = \(Self.hash(session.id)) AND ended_at IS NULL", logger: logger)
            try await audit.record(
                StaffAudit.Actor(session, ip: ip), action: "staff.sign_out", target: session.actor, before: nil, after: nil, on: connection)
        }
    }

    private func endSessions(of staff: Int64, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE staff_sessions SET ended_at = now() WHERE staff_id = \(staff) AND ended_at IS NULL", logger: logger)
    }

    /// An account as the audit log shows it: what the list shows, never a hash or secret.
    struct Listed: Encodable, Sendable {
        let name: String
        let role: String
        let secondFactor: Bool
        let disabled: Bool

        init(_ member: StaffMember) {
            name = member.name
            role = member.role.rawValue
            secondFactor = member.hasSecondFactor
            disabled = member.disabledAt != nil
        }
    }

    static let columns = "id, name, role, totp_secret IS NOT NULL, locked_until, disabled_at, created_at"

    static func members(_ rows: PostgresRowSequence) async throws -> [StaffMember] {
        var members: [StaffMember] = []
        for try await (id, name, role, totp, lockedUntil, disabledAt, createdAt) in rows.decode(
            (Int64, String, String, Bool, Date?, Date?, Date).self)
        {
            guard let role = StaffRole(rawValue: role) else { throw UnexpectedSQLOutcome(function: "staff.role", outcome: role) }
            members.append(
                StaffMember(
                    id: id, name: name, role: role, hasSecondFactor: totp, lockedUntil: lockedUntil, disabledAt: disabledAt,
                    createdAt: createdAt))
        }
        return members
    }

    static func lock(_ name: String, on connection: PostgresConnection, logger: Logger) async throws -> StaffMember {
        let rows = try await connection.query("SELECT \(unescaped: columns) FROM staff WHERE name = \(name) FOR UPDATE", logger: logger)
        guard let member = try await members(rows).first else { throw notFound(name) }
        return member
    }

    static func checkName(_ name: String) throws {
        let allowed = name.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
        }
        guard (2...63).contains(name.utf8.count), allowed, let first = name.utf8.first, first != 0x2E, first != 0x5F, first != 0x2D else {
            throw StoreError(
                .invalid, .invalidStaffName,
                "a staff name is 2 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
    }

    static func notFound(_ name: String) -> StoreError {
        StoreError(.notFound, .staffNotFound, "no staff member is named \(name)")
    }

    static func newSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.lowercase((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func hash(_ sessionID: String) -> ByteBuffer {
        ByteBuffer(bytes: SHA256.hash(data: Array(sessionID.utf8)))
    }
}
