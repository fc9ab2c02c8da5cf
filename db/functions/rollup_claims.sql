-- Counts each statement's new claims into the dashboard's rollups (0015_rollups.sql): per day ×
-- product × region × channel, and per day × product and per day × channel, in this transaction's
-- slot (rollup_slot) so concurrent claims do not wait for one row; rows in key order. A claim's
-- day: claimed_at in the programme's rollup time zone.
CREATE OR REPLACE FUNCTION rollup_claims() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_zone text := (SELECT s.rollup_time_zone FROM programme_settings s);
    v_slot smallint := rollup_slot();
BEGIN
    WITH counted AS (
        SELECT (c.claimed_at AT TIME ZONE v_zone)::date AS day, b.product_id, coalesce(b.region, 'unknown') AS region,
               c.channel, count(*) AS claims, sum(c.points) AS points
        FROM new_claims c JOIN batches b ON b.id = c.batch_id
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
