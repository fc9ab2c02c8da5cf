-- Cancels a redemption within the programme's window: its points go back to the lots they
-- came from, its units back to stock. Outcomes: cancelled, unknown_redemption,
-- already_cancelled, window_closed.
CREATE OR REPLACE FUNCTION cancel_redemption(
    p_redemption uuid, p_reason text, p_actor text,
    OUT outcome text, OUT member_id uuid, OUT points bigint, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_owner uuid;
    v_member uuid;
    v_balance bigint;
    v_redemption redemptions%ROWTYPE;
    v_entry bigint;
    v_slice smallint := floor(random() * 16)::smallint;
BEGIN
    SELECT r.member_id INTO v_owner FROM redemptions r WHERE r.id = p_redemption;
    IF NOT FOUND THEN outcome := 'unknown_redemption'; RETURN; END IF;
    -- Lock the member first (as every points change does), then read the redemption again:
    -- a merge may have moved it to the survivor meanwhile.
    SELECT l.member_id, l.balance INTO v_member, v_balance FROM lock_member(v_owner) l;
    SELECT * INTO v_redemption FROM redemptions r WHERE r.member_id = v_member AND r.id = p_redemption;
    IF NOT FOUND THEN outcome := 'unknown_redemption'; RETURN; END IF;
    member_id := v_redemption.member_id;
    balance := v_balance;
    points := v_redemption.points;
    IF v_redemption.status = 'cancelled' THEN outcome := 'already_cancelled'; RETURN; END IF;
    IF v_redemption.created_at + make_interval(hours => (SELECT s.redemption_cancel_hours FROM programme_settings s)) < now() THEN
        outcome := 'window_closed'; RETURN;
    END IF;

    -- Units back to one slice of a stocked reward (none: it is unlimited now), with the reward
    -- held shared as redemptions hold it (hold_reward), so a change of its stock waits for this.
    PERFORM hold_reward(v_redemption.reward_id, false);
    UPDATE reward_stock s SET units = s.units + v_redemption.quantity
        WHERE s.reward_id = v_redemption.reward_id AND s.slice = v_slice;
    -- A campaign's voucher cost no points: only its unit goes back.
    IF v_redemption.points = 0 THEN
        UPDATE redemptions r SET status = 'cancelled', cancelled_at = now()
            WHERE r.member_id = v_redemption.member_id AND r.id = p_redemption;
        outcome := 'cancelled';
        RETURN;
    END IF;
    UPDATE point_lots l SET remaining = l.remaining + d.points
        FROM lot_debits d
        WHERE d.member_id = v_redemption.member_id AND d.ledger_entry_id = v_redemption.ledger_entry_id
          AND l.member_id = v_member AND l.id = d.lot_id;
    UPDATE members m SET balance = m.balance + v_redemption.points,
                         lifetime_redeemed = m.lifetime_redeemed - v_redemption.points,
                         updated_at = now()
        WHERE m.id = v_member RETURNING m.balance INTO balance;
    v_entry := nextval('ledger_entries_id_seq'::regclass);
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, reason, actor)
        OVERRIDING SYSTEM VALUE
        VALUES (v_member, v_entry, 'redemption_cancel', v_redemption.points, balance, p_reason, p_actor);
    UPDATE redemptions r SET status = 'cancelled', cancelled_at = now(), cancel_entry_id = v_entry
        WHERE r.member_id = v_redemption.member_id AND r.id = p_redemption;
    outcome := 'cancelled';
END;
$$;
