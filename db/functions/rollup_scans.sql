-- Counts each statement's new scans into the dashboard's rollups (0015_rollups.sql). A claim's own
-- scan record (result claimed) is a claim, not a visit: it counts only as a claim by location.
-- Per day (scans, genuine: a verified code, forged), per day × product × region (the batch's, found by its
-- serial range; product 0 and 'unknown' for none) under channel '', and, for scans with a shared
-- location, per day × batch × the location's province (province_at) with the farthest distance
-- from the centroid of the province the batch's region names. Slots (rollup_slot) and key
-- order as rollup_claims.
CREATE OR REPLACE FUNCTION rollup_scans() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_zone text := (SELECT s.rollup_time_zone FROM programme_settings s);
    v_slot smallint;
BEGIN
    -- A claim's own record without a location (most claims) counts nowhere: skip the statement.
    IF NOT EXISTS (SELECT 1 FROM new_scans s WHERE s.result <> 'claimed' OR (s.latitude IS NOT NULL AND s.longitude IS NOT NULL)) THEN
        RETURN NULL;
    END IF;
    v_slot := rollup_slot();
    WITH found AS (
        SELECT (s.scanned_at AT TIME ZONE v_zone)::date AS day, s.kid IS NOT NULL AS genuine, s.result, s.result = 'claimed' AS claim,
               s.latitude, s.longitude, b.id AS batch_id, b.product_id, b.region
        FROM new_scans s LEFT JOIN batches b ON b.kid = s.kid AND b.serials @> s.serial),
    days AS (
        INSERT INTO rollup_days AS r (day, slot, scans, genuine_scans, forged_scans)
        SELECT day, v_slot, count(*), count(*) FILTER (WHERE genuine), count(*) FILTER (WHERE result = 'forged')
        FROM found WHERE NOT claim GROUP BY 1 ORDER BY 1
        ON CONFLICT (day, slot) DO UPDATE SET scans = r.scans + excluded.scans,
            genuine_scans = r.genuine_scans + excluded.genuine_scans, forged_scans = r.forged_scans + excluded.forged_scans),
    activity AS (
        INSERT INTO rollup_activity AS r (day, product_id, region, channel, slot, scans, genuine_scans, forged_scans)
        SELECT day, coalesce(product_id, 0), coalesce(region, 'unknown'), '', v_slot,
               count(*), count(*) FILTER (WHERE genuine), count(*) FILTER (WHERE result = 'forged')
        FROM found WHERE NOT claim GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (day, product_id, region, channel, slot) DO UPDATE SET scans = r.scans + excluded.scans,
            genuine_scans = r.genuine_scans + excluded.genuine_scans, forged_scans = r.forged_scans + excluded.forged_scans)
    INSERT INTO rollup_scan_places AS r (day, batch_id, province, slot, scans, claims, max_km)
    SELECT f.day, coalesce(f.batch_id, 0), province_at(f.latitude, f.longitude), v_slot,
           count(*) FILTER (WHERE NOT f.claim), count(*) FILTER (WHERE f.claim), max(km_between(p.latitude, p.longitude, f.latitude, f.longitude))
    FROM found f LEFT JOIN provinces p ON p.code = province_of_region(f.region)
    WHERE f.latitude IS NOT NULL AND f.longitude IS NOT NULL
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, batch_id, province, slot) DO UPDATE SET scans = r.scans + excluded.scans,
        claims = r.claims + excluded.claims, max_km = greatest(r.max_km, excluded.max_km);
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER rollup_scans AFTER INSERT ON scans
    REFERENCING NEW TABLE AS new_scans
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_scans();
