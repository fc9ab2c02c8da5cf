import PostgresNIO

extension InvariantChecker {
    /// I10: the console's rollups (db/migrations/0015_rollups.sql; every node's on Citus, by
    /// `rollup_rows`), their slots summed, as a recomputation from scans, claims, members and
    /// the ledger finds them; and each stored repeat-claim day as `repeat_claims_between`
    /// computes it again. Zero counts and missing rows are the same thing.
    ///
    /// Each raw table is read by a MATERIALIZED part of its own, counted by day (and by batch
    /// and place for the scans), and the parts are added up here: Citus plans each part alone,
    /// not a query mixing tables kept on different keys.
    ///
    /// Scans older than the retention are gone (drop_old_scan_partitions), and the rollups still
    /// count them: what the rollups hold from scans (the days' and activity's scan counts, the
    /// scan places) is compared from `scans_from` on, the first day that began after
    /// `programme_settings.scans_dropped_before`, and trusted before it.
    func dashboardRollups() async throws -> Finding {
        let sql = """
            WITH z AS (
                SELECT rollup_time_zone AS tz,
                       coalesce(((scans_dropped_before - interval '1 microsecond') AT TIME ZONE rollup_time_zone)::date + 1,
                                '-infinity'::date) AS scans_from
                FROM programme_settings),
            found AS MATERIALIZED (
                SELECT (s.scanned_at AT TIME ZONE z.tz)::date AS day, s.result = 'claimed' AS claimed, s.latitude, s.longitude,
                       b.id AS batch_id, b.product_id, b.region, count(*) AS scans, count(*) FILTER (WHERE s.kid IS NOT NULL) AS genuine,
                       count(*) FILTER (WHERE s.result = 'forged') AS forged
                FROM scans s LEFT JOIN batches b ON b.kid = s.kid AND b.serials @> s.serial, z
                WHERE (s.scanned_at AT TIME ZONE z.tz)::date >= z.scans_from
                GROUP BY 1, 2, 3, 4, 5, 6, 7),
            joined AS MATERIALIZED (
                SELECT (m.created_at AT TIME ZONE z.tz)::date AS day, count(*) AS members FROM members m, z GROUP BY 1),
            booked AS MATERIALIZED (
                SELECT (l.created_at AT TIME ZONE z.tz)::date AS day, count(*) FILTER (WHERE l.kind = 'claim') AS claims,
                       coalesce(sum(l.points) FILTER (WHERE l.kind IN ('claim', 'campaign') OR (l.kind = 'adjustment' AND l.points > 0)), 0) AS issued,
                       coalesce(-sum(l.points) FILTER (WHERE l.kind IN ('redemption', 'redemption_cancel')), 0) AS redeemed,
                       coalesce(-sum(l.points) FILTER (WHERE l.kind = 'expiry'), 0) AS expired,
                       coalesce(-sum(l.points) FILTER (WHERE l.kind = 'adjustment' AND l.points < 0), 0) AS adjusted_out, sum(l.points) AS net
                FROM ledger_entries l, z GROUP BY 1),
            days_expected AS (
                SELECT day, sum(scans) AS scans, sum(genuine) AS genuine, sum(forged) AS forged, sum(claims) AS claims,
                       sum(members) AS members, sum(issued) AS issued, sum(redeemed) AS redeemed, sum(expired) AS expired,
                       sum(adjusted_out) AS adjusted_out, sum(net) AS net
                FROM (
                    SELECT day, sum(scans) AS scans, sum(genuine) AS genuine, sum(forged) AS forged, 0 AS claims, 0 AS members, 0 AS issued,
                           0 AS redeemed, 0 AS expired, 0 AS adjusted_out, 0 AS net
                    FROM found WHERE NOT claimed GROUP BY 1
                    UNION ALL
                    SELECT day, 0, 0, 0, 0, members, 0, 0, 0, 0, 0 FROM joined
                    UNION ALL
                    SELECT day, 0, 0, 0, claims, 0, issued, redeemed, expired, adjusted_out, net FROM booked) x
                GROUP BY day),
            days_stored AS (
                SELECT day, sum(scans) FILTER (WHERE day >= z.scans_from) AS scans,
                       sum(genuine_scans) FILTER (WHERE day >= z.scans_from) AS genuine,
                       sum(forged_scans) FILTER (WHERE day >= z.scans_from) AS forged, sum(claims) AS claims,
                       sum(new_members) AS members, sum(points_issued) AS issued, sum(points_redeemed) AS redeemed,
                       sum(points_expired) AS expired, sum(points_adjusted_out) AS adjusted_out, sum(points_net) AS net
                FROM rollup_rows('rollup_days', NULL, NULL) j, jsonb_populate_record(NULL::rollup_days, j) r, z
                GROUP BY day),
            claimed AS MATERIALIZED (
                SELECT (c.claimed_at AT TIME ZONE z.tz)::date AS day, b.product_id, coalesce(b.region, 'unknown') AS region, c.channel,
                       count(*) AS claims, sum(c.points) AS points
                FROM claims c JOIN batches b ON b.id = c.batch_id, z GROUP BY 1, 2, 3, 4),
            activity_expected AS (
                SELECT day, product_id, region, channel, sum(scans) AS scans, sum(genuine) AS genuine, sum(forged) AS forged,
                       sum(claims) AS claims, sum(points) AS points
                FROM (
                    SELECT day, product_id, region, channel, 0 AS scans, 0 AS genuine, 0 AS forged, claims, points FROM claimed
                    UNION ALL
                    SELECT day, coalesce(product_id, 0), coalesce(region, 'unknown'), '', sum(scans), sum(genuine), sum(forged), 0, 0
                    FROM found WHERE NOT claimed GROUP BY 1, 2, 3) x
                GROUP BY 1, 2, 3, 4),
            activity_stored AS (
                SELECT day, product_id, region, channel, sum(scans) FILTER (WHERE day >= z.scans_from) AS scans,
                       sum(genuine_scans) FILTER (WHERE day >= z.scans_from) AS genuine,
                       sum(forged_scans) FILTER (WHERE day >= z.scans_from) AS forged, sum(claims) AS claims,
                       sum(claim_points) AS points
                FROM rollup_rows('rollup_activity', NULL, NULL) j, jsonb_populate_record(NULL::rollup_activity, j) r, z
                GROUP BY 1, 2, 3, 4),
            products_expected AS (SELECT day, product_id, sum(claims) AS claims, sum(points) AS points FROM claimed GROUP BY 1, 2),
            products_stored AS (
                SELECT day, product_id, sum(claims) AS claims, sum(claim_points) AS points
                FROM rollup_rows('rollup_products', NULL, NULL) j, jsonb_populate_record(NULL::rollup_products, j) r
                GROUP BY 1, 2),
            channels_expected AS (SELECT day, channel, sum(claims) AS claims, sum(points) AS points FROM claimed GROUP BY 1, 2),
            channels_stored AS (
                SELECT day, channel, sum(claims) AS claims, sum(claim_points) AS points
                FROM rollup_rows('rollup_channels', NULL, NULL) j, jsonb_populate_record(NULL::rollup_channels, j) r
                GROUP BY 1, 2),
            places_expected AS (
                SELECT f.day, coalesce(f.batch_id, 0) AS batch_id, province_at(f.latitude, f.longitude) AS province,
                       coalesce(sum(f.scans) FILTER (WHERE NOT f.claimed), 0) AS scans,
                       coalesce(sum(f.scans) FILTER (WHERE f.claimed), 0) AS claims,
                       max(km_between(p.latitude, p.longitude, f.latitude, f.longitude)) AS max_km
                FROM found f LEFT JOIN provinces p ON p.code = province_of_region(f.region)
                WHERE f.latitude IS NOT NULL AND f.longitude IS NOT NULL GROUP BY 1, 2, 3),
            places_stored AS (
                SELECT day, batch_id, province, sum(scans) AS scans, sum(claims) AS claims, max(max_km) AS max_km
                FROM rollup_rows('rollup_scan_places', NULL, NULL) j, jsonb_populate_record(NULL::rollup_scan_places, j) r, z
                WHERE day >= z.scans_from GROUP BY 1, 2, 3),
            repeat_expected AS (
                SELECT e.* FROM (SELECT min(day) AS first, max(day) AS last FROM rollup_repeat_claims) x,
                       repeat_claims_between(x.first, x.last) e)
            SELECT
                (SELECT count(*) FROM days_expected e FULL JOIN days_stored s USING (day)
                 WHERE (coalesce(e.scans, 0), coalesce(e.genuine, 0), coalesce(e.forged, 0), coalesce(e.claims, 0),
                        coalesce(e.members, 0), coalesce(e.issued, 0), coalesce(e.redeemed, 0), coalesce(e.expired, 0),
                        coalesce(e.adjusted_out, 0), coalesce(e.net, 0))
                    <> (coalesce(s.scans, 0), coalesce(s.genuine, 0), coalesce(s.forged, 0), coalesce(s.claims, 0),
                        coalesce(s.members, 0), coalesce(s.issued, 0), coalesce(s.redeemed, 0), coalesce(s.expired, 0),
                        coalesce(s.adjusted_out, 0), coalesce(s.net, 0))),
                (SELECT count(*) FROM activity_expected e FULL JOIN activity_stored s USING (day, product_id, region, channel)
                 WHERE (coalesce(e.scans, 0), coalesce(e.genuine, 0), coalesce(e.forged, 0), coalesce(e.claims, 0), coalesce(e.points, 0))
                    <> (coalesce(s.scans, 0), coalesce(s.genuine, 0), coalesce(s.forged, 0), coalesce(s.claims, 0), coalesce(s.points, 0))),
                (SELECT count(*) FROM products_expected e FULL JOIN products_stored s USING (day, product_id)
                 WHERE (coalesce(e.claims, 0), coalesce(e.points, 0)) <> (coalesce(s.claims, 0), coalesce(s.points, 0)))
                + (SELECT count(*) FROM channels_expected e FULL JOIN channels_stored s USING (day, channel)
                   WHERE (coalesce(e.claims, 0), coalesce(e.points, 0)) <> (coalesce(s.claims, 0), coalesce(s.points, 0))),
                (SELECT count(*) FROM places_expected e FULL JOIN places_stored s USING (day, batch_id, province)
                 WHERE (coalesce(e.scans, 0), coalesce(e.claims, 0)) <> (coalesce(s.scans, 0), coalesce(s.claims, 0))
                    OR abs(coalesce(e.max_km, -1) - coalesce(s.max_km, -1)) > 1e-6),
                (SELECT count(*) FROM rollup_repeat_claims r LEFT JOIN repeat_expected e ON e.day = r.day
                 WHERE (r.claimers, r.repeaters) IS DISTINCT FROM (e.claimers, e.repeaters)),
                (SELECT count(*) FROM rollup_rows('rollup_days', NULL, NULL))
            """
        let rows = try await database.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        var wrong: (days: Int, activity: Int, lists: Int, places: Int, repeat: Int, rows: Int) = (0, 0, 0, 0, 0, 0)
        for try await row in rows.decode((Int, Int, Int, Int, Int, Int).self) { wrong = row }
        return Finding(
            invariant:
                "I10 the dashboard rollups = a recomputation from scans (those kept: the rollups are trusted for dropped months), claims, members and the ledger",
            holds: wrong.days == 0 && wrong.activity == 0 && wrong.lists == 0 && wrong.places == 0 && wrong.repeat == 0,
            detail:
                "\(wrong.rows) day rows; differing: \(wrong.days) days, \(wrong.activity) day × product × region × channel, \(wrong.lists) in the product and channel lists, \(wrong.places) scan places, \(wrong.repeat) repeat-claim days"
        )
    }
}
