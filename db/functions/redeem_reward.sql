-- Redeems a reward: points, stock and the per-member limit checked and changed together.
-- Outcomes: redeemed, unknown_reward, inactive, wrong_channel, out_of_stock, limit_reached,
-- insufficient_points. The member is locked first, then the reward is held shared (hold_reward):
-- redemptions of one reward do not wait for each other, and a change of the reward
-- (RewardStore.update) waits for them. Units come from a stock slice (take_reward_stock), not
-- from one row they all update.
CREATE OR REPLACE FUNCTION redeem_reward(
    p_member uuid, p_reward bigint, p_quantity integer, p_channel text, p_actor text, p_voucher text,
    OUT outcome text, OUT member_id uuid, OUT redemption_id uuid, OUT points bigint, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
    v_balance bigint;
    v_reward rewards%ROWTYPE;
    v_taken bigint;
    v_entry bigint;
BEGIN
    SELECT l.member_id, l.balance INTO v_member, v_balance FROM lock_member(p_member) l;
    member_id := v_member;
    balance := v_balance;
    PERFORM hold_reward(p_reward, false);
    SELECT * INTO v_reward FROM rewards r WHERE r.id = p_reward;
    IF NOT FOUND THEN outcome := 'unknown_reward'; RETURN; END IF;
    IF (v_reward.active_from IS NOT NULL AND now() < v_reward.active_from)
       OR (v_reward.active_until IS NOT NULL AND now() >= v_reward.active_until) THEN
        outcome := 'inactive'; RETURN;
    END IF;
    IF v_reward.channels IS NOT NULL AND NOT (p_channel = ANY (v_reward.channels)) THEN
        outcome := 'wrong_channel'; RETURN;
    END IF;
    IF v_reward.initial_stock IS NOT NULL
       AND (SELECT coalesce(sum(s.units), 0) FROM reward_stock s WHERE s.reward_id = p_reward) < p_quantity THEN
        outcome := 'out_of_stock'; RETURN;
    END IF;
    IF v_reward.per_member_limit IS NOT NULL THEN
        SELECT coalesce(sum(r.quantity), 0) INTO v_taken FROM redemptions r
            WHERE r.reward_id = p_reward AND r.member_id = v_member AND r.status = 'issued';
        IF v_taken + p_quantity > v_reward.per_member_limit THEN
            outcome := 'limit_reached'; RETURN;
        END IF;
    END IF;
    points := v_reward.cost_points * p_quantity;
    IF v_balance < points THEN
        outcome := 'insufficient_points'; RETURN;
    END IF;

    -- The units left may have gone to concurrent redemptions since the check above.
    IF v_reward.initial_stock IS NOT NULL AND NOT take_reward_stock(p_reward, p_quantity) THEN
        outcome := 'out_of_stock'; RETURN;
    END IF;
    v_entry := debit_points(v_member, points, 'redemption', v_reward.sku, p_actor);
    INSERT INTO redemptions (member_id, reward_id, quantity, points, voucher, channel, actor, ledger_entry_id)
        VALUES (v_member, p_reward, p_quantity, points, p_voucher, p_channel, p_actor, v_entry)
        RETURNING id INTO redemption_id;
    balance := v_balance - points;
    outcome := 'redeemed';
END;
$$;
