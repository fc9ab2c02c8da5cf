-- A manual credit (points > 0) or debit (points < 0) by the CRM, with its reason and actor.
-- Outcomes: adjusted, insufficient_points.
CREATE OR REPLACE FUNCTION adjust_points(
    p_member uuid, p_points bigint, p_reason text, p_actor text,
    OUT outcome text, OUT member_id uuid, OUT entry_id bigint, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
    v_balance bigint;
BEGIN
    SELECT l.member_id, l.balance INTO v_member, v_balance FROM lock_member(p_member) l;
    member_id := v_member;
    IF p_points > 0 THEN
        entry_id := nextval('ledger_entries_id_seq'::regclass);
        balance := credit_points(v_member, p_points, 'adjustment', 'adjustment', NULL, p_reason, p_actor, NULL, NULL, entry_id,
                                 NULL, NULL, NULL, NULL);
    ELSIF v_balance < -p_points THEN
        outcome := 'insufficient_points';
        balance := v_balance;
        RETURN;
    ELSE
        entry_id := debit_points(v_member, -p_points, 'adjustment', p_reason, p_actor);
        balance := v_balance + p_points;
    END IF;
    outcome := 'adjusted';
END;
$$;
