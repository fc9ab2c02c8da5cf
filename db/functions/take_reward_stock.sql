-- Takes p_units of a stocked reward's units; false when it has fewer left (nothing taken).
-- A slice that has enough and that no other transaction holds is taken at once, starting
-- from a random one so that concurrent redemptions spread over the slices. Only when no such
-- slice is free does it wait for all the slices (in slice order, as every taker of more than
-- one does, so two cannot deadlock) and take from as many as it needs.
CREATE OR REPLACE FUNCTION take_reward_stock(p_reward bigint, p_units bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_start integer := floor(random() * 16)::integer;
    v_slice smallint;
    v_needed bigint := p_units;
    v_take bigint;
    v_row record;
BEGIN
    SELECT s.slice INTO v_slice FROM reward_stock s
        WHERE s.reward_id = p_reward AND s.units >= p_units
        ORDER BY (s.slice + 16 - v_start) % 16
        LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE reward_stock s SET units = s.units - p_units WHERE s.reward_id = p_reward AND s.slice = v_slice;
        RETURN true;
    END IF;
    PERFORM FROM reward_stock s WHERE s.reward_id = p_reward ORDER BY s.slice FOR UPDATE;
    IF (SELECT coalesce(sum(s.units), 0) FROM reward_stock s WHERE s.reward_id = p_reward) < p_units THEN
        RETURN false;
    END IF;
    FOR v_row IN SELECT s.slice, s.units FROM reward_stock s WHERE s.reward_id = p_reward AND s.units > 0 ORDER BY s.slice LOOP
        EXIT WHEN v_needed = 0;
        v_take := least(v_row.units, v_needed);
        UPDATE reward_stock s SET units = s.units - v_take WHERE s.reward_id = p_reward AND s.slice = v_row.slice;
        v_needed := v_needed - v_take;
    END LOOP;
    RETURN true;
END;
$$;
