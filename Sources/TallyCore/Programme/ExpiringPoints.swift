import Foundation
import PostgresNIO

/// Points still unspent, by the month their lots expire: what the liability will shed, and when.
public struct ExpiringPoints: Sendable, Equatable {
    /// `YYYY-MM` in the programme's time zone; nil for lots that never expire.
    public var month: String?
    public var points: Int64
    /// Members holding such points.
    public var members: Int
}

extension LiabilityReports {
    /// Unspent points by month of expiry, earliest first, lots that never expire last. Lots
    /// already past their date but not yet written off by the expiry job count in their month:
    /// until then they are still in the balances (their sum is the outstanding total).
    public func expiring(timeZone: String) async throws -> [ExpiringPoints] {
        let rows = try await database.query(
            """
            SELECT to_char(date_trunc('month', expires_at AT TIME ZONE \(timeZone)), 'YYYY-MM'),
                   sum(remaining)::int8, count(DISTINCT member_id)::int
            FROM point_lots WHERE remaining > 0
            GROUP BY 1 ORDER BY 1 NULLS LAST
            """, logger: logger)
        var months: [ExpiringPoints] = []
        for try await (month, points, members) in rows.decode((String?, Int64, Int).self) {
            months.append(ExpiringPoints(month: month, points: points, members: members))
        }
        return months
    }
}
