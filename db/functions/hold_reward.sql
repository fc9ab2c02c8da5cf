-- Holds a reward until the transaction ends: shared by its redemptions and cancellations
-- (redeem_reward, cancel_redemption), which run side by side, exclusive for a change of it
-- (RewardStore.update), which waits for them and they for it. A transaction-level advisory lock
-- (class 16, the reward's id), not a row lock (FOR KEY SHARE): on Citus a row lock on a reference
-- table locks the table's whole shard, and two redemptions holding it then deadlock on their
-- writes to tables that reference rewards (redemptions, reward_stock).
CREATE OR REPLACE FUNCTION hold_reward(p_reward bigint, p_exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_exclusive THEN
        PERFORM pg_advisory_xact_lock(16, (p_reward % 2147483647)::integer);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(16, (p_reward % 2147483647)::integer);
    END IF;
END;
$$;
