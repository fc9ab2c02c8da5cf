-- Credits a locked member (see lock_member): ledger entry, lot, balance, tier.
-- Returns the new balance. p_valid_months NULL: the programme's default.
CREATE OR REPLACE FUNCTION credit_points(
    p_member uuid, p_points bigint, p_kind text, p_source text, p_valid_months integer,
    p_reason text, p_actor text, p_kid smallint, p_serial bigint, p_entry bigint
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
    v_months integer;
    v_tiers boolean;
    v_tier text;
BEGIN
    SELECT coalesce(p_valid_months, s.points_valid_months), EXISTS (SELECT 1 FROM tiers)
        INTO v_months, v_tiers FROM programme_settings s;
    UPDATE members m SET balance = m.balance + p_points,
                         lifetime_earned = m.lifetime_earned + p_points,
                         updated_at = now()
        WHERE m.id = p_member RETURNING m.balance, m.tier INTO v_balance, v_tier;
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, kid, serial, reason, actor)
        OVERRIDING SYSTEM VALUE
        VALUES (p_member, p_entry, p_kind, p_points, v_balance, p_kid, p_serial, p_reason, p_actor);
    INSERT INTO point_lots (member_id, ledger_entry_id, source, points, remaining, expires_at)
        VALUES (p_member, p_entry, p_source, p_points, p_points,
                CASE WHEN v_months > 0 THEN now() + make_interval(months => v_months) END);
    -- Without tiers there is nothing to compute (unless a tier is left from before they went).
    IF v_tiers OR v_tier IS NOT NULL THEN
        PERFORM refresh_tier(p_member);
    END IF;
    RETURN v_balance;
END;
$$;
