-- Credits a locked member (see lock_member): ledger entry, lot, balance, tier, and the member's
-- rollups (0011_member_rollups.sql). Returns the new balance. p_valid_months NULL: the
-- programme's default. For a claim, p_channel, p_region (the batch's, 'unknown' for none),
-- p_product and p_scanned_at (when its scan was recorded) are counted in the member's rollups;
-- other credits pass NULL. A campaign's award (kind 'campaign') names its campaign and version.
CREATE OR REPLACE FUNCTION credit_points(
    p_member uuid, p_points bigint, p_kind text, p_source text, p_valid_months integer,
    p_reason text, p_actor text, p_kid smallint, p_serial bigint, p_entry bigint,
    p_channel text, p_region text, p_product bigint, p_scanned_at timestamptz,
    p_campaign bigint DEFAULT NULL, p_campaign_version integer DEFAULT NULL
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
    v_months integer;
    v_tiers boolean;
    v_tier text;
BEGIN
    SELECT coalesce(p_valid_months, s.points_valid_months), EXISTS (SELECT 1 FROM tiers)
        INTO v_months, v_tiers FROM programme_settings s;
    -- A claim's counts and scan time go into the update of the member that every credit makes:
    -- claims are the hottest write, and this costs them no statement, no index probe and no
    -- trigger (a table of counts would cost an upsert of three rows). The member is locked, so
    -- concurrent claims of one member take turns here and none is lost.
    UPDATE members m SET balance = m.balance + p_points,
                         lifetime_earned = m.lifetime_earned + p_points,
                         claims_by_channel = add_count(m.claims_by_channel, p_channel, 1),
                         claims_by_region = add_count(m.claims_by_region, p_region, 1),
                         claims_by_product = add_count(m.claims_by_product, p_product::text, 1),
                         first_scan_at = least(m.first_scan_at, p_scanned_at),
                         last_scan_at = greatest(m.last_scan_at, p_scanned_at),
                         updated_at = now()
        WHERE m.id = p_member RETURNING m.balance, m.tier INTO v_balance, v_tier;
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, kid, serial, reason, actor,
                                campaign_id, campaign_version)
        OVERRIDING SYSTEM VALUE
        VALUES (p_member, p_entry, p_kind, p_points, v_balance, p_kid, p_serial, p_reason, p_actor,
                p_campaign, p_campaign_version);
    -- The lot, and its points in the member's points expiring that day, in one statement (the
    -- claim's cheapest way: see point_lots_expiring.sql for the lots' updates).
    WITH lot AS (
        INSERT INTO point_lots (member_id, ledger_entry_id, source, points, remaining, expires_at)
            VALUES (p_member, p_entry, p_source, p_points, p_points,
                    CASE WHEN v_months > 0 THEN now() + make_interval(months => v_months) END)
            RETURNING member_id, expires_on, remaining)
    INSERT INTO member_points_expiring AS e (member_id, expires_on, points)
        SELECT lot.member_id, lot.expires_on, lot.remaining FROM lot WHERE lot.expires_on IS NOT NULL
        ON CONFLICT (member_id, expires_on) DO UPDATE SET points = e.points + excluded.points;
    -- Without tiers there is nothing to compute (unless a tier is left from before they went).
    IF v_tiers OR v_tier IS NOT NULL THEN
        PERFORM refresh_tier(p_member);
    END IF;
    RETURN v_balance;
END;
$$;
