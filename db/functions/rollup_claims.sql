-- Counts each statement's new claims into the dashboard's rollups (0015_rollups.sql): per day ×
-- product × region × channel, and per day × product and per day × channel, in this transaction's
-- slot (rollup_slot) so concurrent claims do not wait for one row; rows in key order. A claim's
-- day: claimed_at in the programme's rollup time zone.
--
-- Three statements, none mixing the transition table with batches: Citus (where this runs on the
-- worker holding the claims' shard) cannot plan a query that joins a transition table with one of
-- its tables. So: the new claims per day × batch × channel into arrays; those batches' product
-- and region; the upserts from the arrays alone.
CREATE OR REPLACE FUNCTION rollup_claims() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_zone text := (SELECT s.rollup_time_zone FROM programme_settings s);
    v_slot smallint := rollup_slot();
    v_days date[];
    v_batches bigint[];
    v_channels text[];
    v_claims bigint[];
    v_points bigint[];
    v_products bigint[];
    v_regions text[];
BEGIN
    SELECT array_agg(g.day), array_agg(g.batch_id), array_agg(g.channel), array_agg(g.claims), array_agg(g.points)
    INTO v_days, v_batches, v_channels, v_claims, v_points
    FROM (SELECT (c.claimed_at AT TIME ZONE v_zone)::date AS day, c.batch_id, c.channel, count(*) AS claims, sum(c.points) AS points
          FROM new_claims c GROUP BY 1, 2, 3) g;
    -- Position by position: NULL for a batch not found (none, claims.batch_id references it).
    SELECT array_agg(b.product_id ORDER BY k.i), array_agg(coalesce(b.region, 'unknown') ORDER BY k.i)
    INTO v_products, v_regions
    FROM unnest(v_batches) WITH ORDINALITY AS k(batch_id, i) LEFT JOIN batches b ON b.id = k.batch_id;
    WITH counted AS (
        SELECT k.day, k.product_id, k.region, k.channel, sum(k.claims) AS claims, sum(k.points) AS points
        FROM unnest(v_days, v_products, v_regions, v_channels, v_claims, v_points) AS k(day, product_id, region, channel, claims, points)
        WHERE k.product_id IS NOT NULL
        GROUP BY 1, 2, 3, 4),
    activity AS (
        INSERT INTO rollup_activity AS r (day, product_id, region, channel, slot, claims, claim_points)
        SELECT day, product_id, region, channel, v_slot, claims, points FROM counted ORDER BY 1, 2, 3, 4
        ON CONFLICT (day, product_id, region, channel, slot)
        DO UPDATE SET claims = r.claims + excluded.claims, claim_points = r.claim_points + excluded.claim_points),
    products AS (
        INSERT INTO rollup_products AS r (day, product_id, slot, claims, claim_points)
        SELECT day, product_id, v_slot, sum(claims), sum(points) FROM counted GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (day, product_id, slot)
        DO UPDATE SET claims = r.claims + excluded.claims, claim_points = r.claim_points + excluded.claim_points)
    INSERT INTO rollup_channels AS r (day, channel, slot, claims, claim_points)
    SELECT day, channel, v_slot, sum(claims), sum(points) FROM counted GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, channel, slot)
    DO UPDATE SET claims = r.claims + excluded.claims, claim_points = r.claim_points + excluded.claim_points;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER rollup_claims AFTER INSERT ON claims
    REFERENCING NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_claims();
