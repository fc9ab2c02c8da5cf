import Foundation
import PostgresNIO

extension AbuseAlerts {
    /// Addresses (or networks) that asked in the window for sign-in codes for at least
    /// `minPhones` different phones; the most phones first, then the latest. Reads the window's
    /// codes from the index `otp_challenges_by_time` alone.
    public func signInCodes(
        from: Date? = nil, to: Date? = nil, by grouping: AlertGrouping = .address,
        minPhones: Int = defaultSignInMinPhones, limit: Int = defaultLimit
    ) async throws -> [SignInCodeAlert] {
        let window = try AlertWindow(from: from, to: to)
        try Self.check(minPhones, Self.signInMinPhonesRange, "minPhones")
        try Self.check(limit: limit)
        let rows = try await database.query(
            """
            SELECT \(unescaped: grouping.text("k.key")), count(DISTINCT k.phone)::int8, count(*)::int8,
                   min(k.created_at), max(k.created_at), (array_agg(DISTINCT k.phone))[1:5]
            FROM (SELECT \(unescaped: grouping.key) AS key, phone, created_at FROM otp_challenges
                  WHERE created_at >= \(window.from) AND created_at < \(window.to) AND ip IS NOT NULL) k
            GROUP BY k.key
            HAVING count(DISTINCT k.phone) >= \(minPhones)
            ORDER BY 2 DESC, 5 DESC, k.key
            LIMIT \(limit)
            """, logger: logger)
        var alerts: [SignInCodeAlert] = []
        for try await (address, phones, codes, first, last, sample) in rows.decode((String, Int, Int, Date, Date, [String]).self) {
            // Stored in E.164, so each parses; were one not to, it is still shown only masked.
            let masked = sample.map { (try? PhoneNumber($0))?.masked ?? String($0.prefix(3)) + "****" + String($0.suffix(4)) }
            alerts.append(
                SignInCodeAlert(address: address, phones: phones, codes: codes, firstAt: first, lastAt: last, maskedPhones: masked))
        }
        return alerts
    }
}
