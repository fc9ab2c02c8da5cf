import Foundation
import PostgresNIO

extension AbuseAlerts {
    /// Claimed codes scanned in the window by at least `minScanners` different people other than
    /// their claimant; the most scanners first, then the latest scan.
    ///
    /// The landing page records a scan of a claimed code as `claimed_by_self` when the claimant
    /// (or a member merged into it) is signed in, and `claimed_by_other` otherwise, so the
    /// scans after the claim by others are the `claimed_by_other` ones, read through
    /// `scans_for_alerts`. A scanner is the signed-in member, or for a signed-out scan its
    /// address and user agent (the claimant's own phone, signed out, is one of these). Only the
    /// codes shown are looked up in `claims` (by its primary key), never the claims as a whole.
    public func copiedCodes(
        from: Date? = nil, to: Date? = nil, minScanners: Int = defaultCopiedMinScanners, limit: Int = defaultLimit
    ) async throws -> [CopiedCodeAlert] {
        let window = try AlertWindow(from: from, to: to)
        try Self.check(minScanners, Self.copiedMinScannersRange, "minScanners")
        try Self.check(limit: limit)
        let rows = try await database.query(
            """
            WITH scanned AS (
                SELECT s.kid, s.serial,
                       count(DISTINCT coalesce(s.member_id::text, coalesce(host(s.ip), '') || ' ' || coalesce(s.user_agent, ''))) AS scanners,
                       count(DISTINCT s.member_id) AS members, count(DISTINCT s.ip) AS addresses, count(*) AS scans,
                       max(s.scanned_at) AS last_scan
                FROM scans s
                WHERE s.result = 'claimed_by_other' AND s.scanned_at >= \(window.from) AND s.scanned_at < \(window.to)
                  AND s.serial IS NOT NULL
                GROUP BY s.kid, s.serial
                HAVING count(DISTINCT coalesce(s.member_id::text, coalesce(host(s.ip), '') || ' ' || coalesce(s.user_agent, ''))) >= \(minScanners)
                ORDER BY 3 DESC, 7 DESC, 1, 2
                LIMIT \(limit))
            SELECT a.kid, a.serial, p.sku, p.name, c.batch_id, b.lot, c.claimed_at, c.member_id, c.channel,
                   a.scanners::int8, a.members::int8, a.addresses::int8, a.scans::int8, a.last_scan
            FROM scanned a
            JOIN claims c ON c.kid = a.kid AND c.serial = a.serial
            JOIN batches b ON b.id = c.batch_id
            JOIN products p ON p.id = b.product_id
            ORDER BY a.scanners DESC, a.last_scan DESC, a.kid, a.serial
            """, logger: logger)
        var alerts: [CopiedCodeAlert] = []
        for try await (kid, serial, sku, name, batch, lot, claimedAt, claimant, channel, scanners, members, addresses, scans, last)
            in rows.decode((Int16, Int64, String, String, Int64, String?, Date, UUID, String, Int, Int, Int, Int, Date).self)
        {
            alerts.append(
                CopiedCodeAlert(
                    kid: Int(kid), serial: serial, sku: sku, productName: name, batchID: batch, lot: lot, claimedAt: claimedAt,
                    claimedBy: claimant, channel: channel, scanners: scanners, members: members, addresses: addresses, scans: scans,
                    lastScanAt: last))
        }
        return alerts
    }
}
