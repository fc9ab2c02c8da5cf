-- Counts each statement's new ledger entries into rollup_days (0015_rollups.sql): claims (entries
-- of kind claim, one per claim: I1), points issued (claim, campaign, positive adjustments),
-- redeemed (redemptions less their cancels), expired, adjusted out, and the net of every entry,
-- whose running sum is the points liability. Every path that moves points writes the ledger, so
-- this one trigger sees claims, campaigns, redemptions, cancels, expiry, adjustments and merges.
CREATE OR REPLACE FUNCTION rollup_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_zone text := (SELECT s.rollup_time_zone FROM programme_settings s);
    v_slot smallint := rollup_slot();
BEGIN
    INSERT INTO rollup_days AS r (day, slot, claims, points_issued, points_redeemed, points_expired, points_adjusted_out, points_net)
    SELECT (l.created_at AT TIME ZONE v_zone)::date, v_slot,
           count(*) FILTER (WHERE l.kind = 'claim'),
           coalesce(sum(l.points) FILTER (WHERE l.kind IN ('claim', 'campaign') OR (l.kind = 'adjustment' AND l.points > 0)), 0),
           coalesce(-sum(l.points) FILTER (WHERE l.kind IN ('redemption', 'redemption_cancel')), 0),
           coalesce(-sum(l.points) FILTER (WHERE l.kind = 'expiry'), 0),
           coalesce(-sum(l.points) FILTER (WHERE l.kind = 'adjustment' AND l.points < 0), 0),
           sum(l.points)
    FROM new_entries l GROUP BY 1 ORDER BY 1
    ON CONFLICT (day, slot) DO UPDATE SET claims = r.claims + excluded.claims,
        points_issued = r.points_issued + excluded.points_issued, points_redeemed = r.points_redeemed + excluded.points_redeemed,
        points_expired = r.points_expired + excluded.points_expired,
        points_adjusted_out = r.points_adjusted_out + excluded.points_adjusted_out, points_net = r.points_net + excluded.points_net;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER rollup_ledger AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_ledger();
