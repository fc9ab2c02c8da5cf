-- Sets a reward's available units (NULL: unlimited, no slices), spread evenly over its 16
-- slices. The caller holds the reward's row and has locked its slices (RewardStore.update),
-- so no redemption or cancellation of it is in flight.
CREATE OR REPLACE FUNCTION set_reward_stock(p_reward bigint, p_units bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_units IS NULL THEN
        DELETE FROM reward_stock s WHERE s.reward_id = p_reward;
        RETURN;
    END IF;
    INSERT INTO reward_stock (reward_id, slice, units)
        SELECT p_reward, n.slice, p_units / 16 + CASE WHEN n.slice < p_units % 16 THEN 1 ELSE 0 END
        FROM generate_series(0, 15) AS n (slice)
    ON CONFLICT (reward_id, slice) DO UPDATE SET units = excluded.units;
END;
$$;
