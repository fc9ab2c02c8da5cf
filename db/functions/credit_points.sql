-- Credits a locked member (see lock_member): ledger entry, lot, balance, tier, and the member's
-- rollups (0011_member_rollups.sql). Returns the new balance. p_valid_months NULL: the
-- programme's default. For a claim, p_channel, p_region (the batch's, 'unknown' for none),
-- p_product and p_scanned_at (when its scan was recorded) are counted in the member's rollups;
-- other credits pass NULL.
--
-- A claim's campaign awards (p_awards, from apply_campaigns) are credited with it: each its
-- own ledger entry of kind 'campaign' (with the claim's code, the campaign and its version)
-- and its own lot of source 'campaign', after the claim's entry, each with the balance after
-- it; but one update of the member for them all (the member's row is wide with its rollups,
-- and every update of it writes the whole row again).
CREATE OR REPLACE FUNCTION credit_points(
    p_member uuid, p_points bigint, p_kind text, p_source text, p_valid_months integer,
    p_reason text, p_actor text, p_kid smallint, p_serial bigint, p_entry bigint,
    p_channel text, p_region text, p_product bigint, p_scanned_at timestamptz,
    p_awards campaign_credit[] DEFAULT '{}'
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
    v_total bigint := p_points;
    v_months integer;
    v_tiers boolean;
    v_tier text;
    v_award campaign_credit;
    v_expires_on date;
BEGIN
    SELECT coalesce(p_valid_months, s.points_valid_months), EXISTS (SELECT 1 FROM tiers)
        INTO v_months, v_tiers FROM programme_settings s;
    IF cardinality(p_awards) > 0 THEN
        v_total := v_total + (SELECT sum(a.points) FROM unnest(p_awards) a);
    END IF;
    -- A claim's counts and scan time go into the update of the member that every credit makes:
    -- claims are the hottest write, and this costs them no statement, no index probe and no
    -- trigger (a table of counts would cost an upsert of three rows). The member is locked, so
    -- concurrent claims of one member take turns here and none is lost.
    UPDATE members m SET balance = m.balance + v_total,
                         lifetime_earned = m.lifetime_earned + v_total,
                         claims_by_channel = add_count(m.claims_by_channel, p_channel, 1),
                         claims_by_region = add_count(m.claims_by_region, p_region, 1),
                         claims_by_product = add_count(m.claims_by_product, p_product::text, 1),
                         first_scan_at = least(m.first_scan_at, p_scanned_at),
                         last_scan_at = greatest(m.last_scan_at, p_scanned_at),
                         updated_at = now()
        WHERE m.id = p_member RETURNING m.balance, m.tier INTO v_balance, v_tier;
    -- The claim's entry, then each award's, each with the balance after it.
    v_balance := v_balance - v_total + p_points;
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, kid, serial, reason, actor)
        OVERRIDING SYSTEM VALUE
        VALUES (p_member, p_entry, p_kind, p_points, v_balance, p_kid, p_serial, p_reason, p_actor);
    -- The lot, then its points in the member's points expiring that day (its expires_on, the
    -- lots' generated column; see point_lots_expiring.sql for the lots' updates). The awards'
    -- lots expire the same day (made at the same instant, valid as long): their points go into
    -- that day's row here too, and their lots are inserted below. Two statements, not one with
    -- the lot's INSERT as a CTE: on Citus that CTE is pulled to the coordinator and sent back,
    -- where each of these goes straight to the member's shard.
    INSERT INTO point_lots (member_id, ledger_entry_id, source, points, remaining, expires_at)
        VALUES (p_member, p_entry, p_source, p_points, p_points,
                CASE WHEN v_months > 0 THEN now() + make_interval(months => v_months) END)
        RETURNING expires_on INTO v_expires_on;
    IF v_expires_on IS NOT NULL THEN
        INSERT INTO member_points_expiring AS e (member_id, expires_on, points) VALUES (p_member, v_expires_on, v_total)
            ON CONFLICT (member_id, expires_on) DO UPDATE SET points = e.points + excluded.points;
    END IF;
    FOREACH v_award IN ARRAY p_awards LOOP
        v_balance := v_balance + v_award.points;
        INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, kid, serial, campaign_id, campaign_version)
            OVERRIDING SYSTEM VALUE
            VALUES (p_member, v_award.entry, 'campaign', v_award.points, v_balance, p_kid, p_serial, v_award.campaign, v_award.version);
        INSERT INTO point_lots (member_id, ledger_entry_id, source, points, remaining, expires_at)
            VALUES (p_member, v_award.entry, 'campaign', v_award.points, v_award.points,
                    CASE WHEN v_months > 0 THEN now() + make_interval(months => v_months) END);
    END LOOP;
    -- Without tiers there is nothing to compute (unless a tier is left from before they went).
    IF v_tiers OR v_tier IS NOT NULL THEN
        PERFORM refresh_tier(p_member);
    END IF;
    RETURN v_balance;
END;
$$;
