-- Writes off what is left of a locked member's lots past their expiry, as one ledger entry.
-- Returns the points written off.
CREATE OR REPLACE FUNCTION expire_member_lots(p_member uuid) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_points bigint;
    v_balance bigint;
BEGIN
    WITH due AS (
        UPDATE point_lots l SET remaining = 0
        FROM (SELECT id, remaining FROM point_lots
              WHERE member_id = p_member AND remaining > 0 AND expires_at <= now() FOR UPDATE) d
        WHERE l.member_id = p_member AND l.id = d.id
        RETURNING d.remaining)
    SELECT coalesce(sum(remaining), 0) INTO v_points FROM due;
    IF v_points > 0 THEN
        UPDATE members m SET balance = m.balance - v_points,
                             lifetime_expired = m.lifetime_expired + v_points,
                             updated_at = now()
            WHERE m.id = p_member RETURNING m.balance INTO v_balance;
        INSERT INTO ledger_entries (member_id, kind, points, balance_after, reason, actor)
            VALUES (p_member, 'expiry', -v_points, v_balance, 'points expired', 'expiry');
    END IF;
    RETURN v_points;
END;
$$;
