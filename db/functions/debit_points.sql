-- Debits a locked member: takes the points from the lots that expire first (never-expiring
-- lots last), records which, and appends the ledger entry. The caller has checked the balance.
-- Returns the ledger entry's id.
CREATE OR REPLACE FUNCTION debit_points(
    p_member uuid, p_points bigint, p_kind text, p_reason text, p_actor text
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_entry bigint := nextval('ledger_entries_id_seq'::regclass);
    v_needed bigint := p_points;
    v_take bigint;
    v_balance bigint;
    v_lot record;
BEGIN
    FOR v_lot IN SELECT l.id, l.remaining FROM point_lots l
                 WHERE l.member_id = p_member AND l.remaining > 0
                 ORDER BY l.expires_at NULLS LAST, l.id FOR UPDATE LOOP
        EXIT WHEN v_needed = 0;
        v_take := least(v_lot.remaining, v_needed);
        UPDATE point_lots SET remaining = remaining - v_take WHERE member_id = p_member AND id = v_lot.id;
        INSERT INTO lot_debits (member_id, ledger_entry_id, lot_id, points) VALUES (p_member, v_entry, v_lot.id, v_take);
        v_needed := v_needed - v_take;
    END LOOP;
    IF v_needed > 0 THEN
        RAISE EXCEPTION 'member % lots hold less than the balance', p_member USING ERRCODE = 'check_violation';
    END IF;
    UPDATE members m SET balance = m.balance - p_points,
                         lifetime_redeemed = m.lifetime_redeemed + CASE WHEN p_kind = 'redemption' THEN p_points ELSE 0 END,
                         lifetime_earned = m.lifetime_earned - CASE WHEN p_kind = 'adjustment' THEN p_points ELSE 0 END,
                         updated_at = now()
        WHERE m.id = p_member RETURNING m.balance INTO v_balance;
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, reason, actor)
        OVERRIDING SYSTEM VALUE
        VALUES (p_member, v_entry, p_kind, -p_points, v_balance, p_reason, p_actor);
    RETURN v_entry;
END;
$$;
