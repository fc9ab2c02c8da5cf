-- Counts each statement's new scans into the dashboard's rollups (0015_rollups.sql). A claim's own
-- scan record (result claimed) is a claim, not a visit: it counts only as a claim by location.
-- Per day (scans, genuine: a verified code, forged), per day × product × region (the batch's, found by its
-- serial range; product 0 and 'unknown' for none) under channel '', and, for scans with a shared
-- location, per day × batch × the location's province (province_at) with the farthest distance
-- from the centroid of the province the batch's region names. Slots (rollup_slot) and key
-- order as rollup_claims.
--
-- Three statements, none mixing the transition table with batches or provinces, as
-- rollup_claims: the new scans per day × code × result × location into arrays; their batches
-- and provinces; the upserts from the arrays alone.
CREATE OR REPLACE FUNCTION rollup_scans() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_zone text := (SELECT s.rollup_time_zone FROM programme_settings s);
    v_slot smallint;
    v_days date[];
    v_kids smallint[];
    v_serials bigint[];
    v_results text[];
    v_latitudes double precision[];
    v_longitudes double precision[];
    v_scans bigint[];
    v_batches bigint[];
    v_products bigint[];
    v_regions text[];
    v_provinces text[];
    v_centre_latitudes double precision[];
    v_centre_longitudes double precision[];
BEGIN
    -- A claim's own record without a location (most claims) counts nowhere: skip the statement.
    IF NOT EXISTS (SELECT 1 FROM new_scans s WHERE s.result <> 'claimed' OR (s.latitude IS NOT NULL AND s.longitude IS NOT NULL)) THEN
        RETURN NULL;
    END IF;
    v_slot := rollup_slot();
    SELECT array_agg(g.day), array_agg(g.kid), array_agg(g.serial), array_agg(g.result),
           array_agg(g.latitude), array_agg(g.longitude), array_agg(g.scans)
    INTO v_days, v_kids, v_serials, v_results, v_latitudes, v_longitudes, v_scans
    FROM (SELECT (s.scanned_at AT TIME ZONE v_zone)::date AS day, s.kid, s.serial, s.result,
                 s.latitude, s.longitude, count(*) AS scans
          FROM new_scans s GROUP BY 1, 2, 3, 4, 5, 6) g;
    -- Position by position: the code's batch (NULL for none), the location's province, and the
    -- centroid of the province the batch's region names (NULL for none).
    SELECT array_agg(b.id ORDER BY k.i), array_agg(b.product_id ORDER BY k.i), array_agg(b.region ORDER BY k.i),
           array_agg(CASE WHEN k.latitude IS NOT NULL AND k.longitude IS NOT NULL THEN province_at(k.latitude, k.longitude) END ORDER BY k.i),
           array_agg(p.latitude ORDER BY k.i), array_agg(p.longitude ORDER BY k.i)
    INTO v_batches, v_products, v_regions, v_provinces, v_centre_latitudes, v_centre_longitudes
    FROM unnest(v_kids, v_serials, v_latitudes, v_longitudes) WITH ORDINALITY AS k(kid, serial, latitude, longitude, i)
    LEFT JOIN batches b ON b.kid = k.kid AND b.serials @> k.serial
    LEFT JOIN provinces p ON p.code = province_of_region(b.region);
    WITH found AS (
        SELECT f.day, f.kid IS NOT NULL AS genuine, f.result, f.result = 'claimed' AS claim, f.scans,
               f.latitude, f.longitude, f.batch_id, f.product_id, f.region, f.province, f.centre_latitude, f.centre_longitude
        FROM unnest(v_days, v_kids, v_results, v_latitudes, v_longitudes, v_scans, v_batches, v_products, v_regions,
                    v_provinces, v_centre_latitudes, v_centre_longitudes)
             AS f(day, kid, result, latitude, longitude, scans, batch_id, product_id, region, province, centre_latitude, centre_longitude)),
    days AS (
        INSERT INTO rollup_days AS r (day, slot, scans, genuine_scans, forged_scans)
        SELECT day, v_slot, sum(scans), coalesce(sum(scans) FILTER (WHERE genuine), 0), coalesce(sum(scans) FILTER (WHERE result = 'forged'), 0)
        FROM found WHERE NOT claim GROUP BY 1 ORDER BY 1
        ON CONFLICT (day, slot) DO UPDATE SET scans = r.scans + excluded.scans,
            genuine_scans = r.genuine_scans + excluded.genuine_scans, forged_scans = r.forged_scans + excluded.forged_scans),
    activity AS (
        INSERT INTO rollup_activity AS r (day, product_id, region, channel, slot, scans, genuine_scans, forged_scans)
        SELECT day, coalesce(product_id, 0), coalesce(region, 'unknown'), '', v_slot,
               sum(scans), coalesce(sum(scans) FILTER (WHERE genuine), 0), coalesce(sum(scans) FILTER (WHERE result = 'forged'), 0)
        FROM found WHERE NOT claim GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (day, product_id, region, channel, slot) DO UPDATE SET scans = r.scans + excluded.scans,
            genuine_scans = r.genuine_scans + excluded.genuine_scans, forged_scans = r.forged_scans + excluded.forged_scans)
    INSERT INTO rollup_scan_places AS r (day, batch_id, province, slot, scans, claims, max_km)
    SELECT day, coalesce(batch_id, 0), province, v_slot,
           coalesce(sum(scans) FILTER (WHERE NOT claim), 0), coalesce(sum(scans) FILTER (WHERE claim), 0),
           max(km_between(centre_latitude, centre_longitude, latitude, longitude))
    FROM found
    WHERE latitude IS NOT NULL AND longitude IS NOT NULL
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, batch_id, province, slot) DO UPDATE SET scans = r.scans + excluded.scans,
        claims = r.claims + excluded.claims, max_km = greatest(r.max_km, excluded.max_km);
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER rollup_scans AFTER INSERT ON scans
    REFERENCING NEW TABLE AS new_scans
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_scans();
