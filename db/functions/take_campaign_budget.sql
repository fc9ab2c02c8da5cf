-- Takes p_units of what is left of a campaign's budget ('points', 'awards', 'prize:<key>');
-- false when less is left (nothing taken). As take_reward_stock does for a reward's stock: a
-- slice that has enough and that no other claim holds is taken at once, starting from a
-- random one so that concurrent claims spread over the slices; only when none is free does it
-- wait for all the slices (in slice order, so two cannot deadlock) and take from several.
-- A budget that does not exist is unlimited: true.
--
-- A transaction takes again from the slice it took from before, when that one still has
-- enough (remembered in a transaction-local setting): API claims are committed in batches, and
-- a batch whose every claim took another slice held them all until its commit, so the next
-- batches found none free and queued for them all.
CREATE OR REPLACE FUNCTION take_campaign_budget(p_campaign bigint, p_budget text, p_units bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_start integer := floor(random() * 16)::integer;
    v_held text := 'tally.slice_' || p_campaign || '_' || encode(convert_to(p_budget, 'UTF8'), 'hex');
    v_slice smallint := nullif(current_setting(v_held, true), '')::smallint;
    v_needed bigint := p_units;
    v_take bigint;
    v_row record;
BEGIN
    IF v_slice IS NOT NULL THEN
        UPDATE campaign_budget_slices s SET units = s.units - p_units
            WHERE s.campaign_id = p_campaign AND s.budget = p_budget AND s.slice = v_slice AND s.units >= p_units;
        IF FOUND THEN
            RETURN true;
        END IF;
    END IF;
    -- One statement: every claim of a budgeted campaign runs it.
    UPDATE campaign_budget_slices s SET units = s.units - p_units
        WHERE s.campaign_id = p_campaign AND s.budget = p_budget
          AND s.slice = (SELECT f.slice FROM campaign_budget_slices f
                         WHERE f.campaign_id = p_campaign AND f.budget = p_budget AND f.units >= p_units
                         ORDER BY (f.slice + 16 - v_start) % 16
                         LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING s.slice INTO v_slice;
    IF FOUND THEN
        PERFORM set_config(v_held, v_slice::text, true);
        RETURN true;
    END IF;
    -- Spent already, as committed: no need to queue for every slice to learn it. (What is left
    -- only shrinks while claims take from it, so a committed sum too small stays too small.)
    IF (SELECT sum(s.units) FROM campaign_budget_slices s WHERE s.campaign_id = p_campaign AND s.budget = p_budget) < p_units THEN
        RETURN false;
    END IF;
    PERFORM FROM campaign_budget_slices s WHERE s.campaign_id = p_campaign AND s.budget = p_budget ORDER BY s.slice FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NOT EXISTS (SELECT 1 FROM campaign_budgets b WHERE b.campaign_id = p_campaign AND b.budget = p_budget);
    END IF;
    IF (SELECT sum(s.units) FROM campaign_budget_slices s WHERE s.campaign_id = p_campaign AND s.budget = p_budget) < p_units THEN
        RETURN false;
    END IF;
    FOR v_row IN SELECT s.slice, s.units FROM campaign_budget_slices s
                 WHERE s.campaign_id = p_campaign AND s.budget = p_budget AND s.units > 0 ORDER BY s.slice LOOP
        EXIT WHEN v_needed = 0;
        v_take := least(v_row.units, v_needed);
        UPDATE campaign_budget_slices s SET units = s.units - v_take
            WHERE s.campaign_id = p_campaign AND s.budget = p_budget AND s.slice = v_row.slice;
        v_needed := v_needed - v_take;
    END LOOP;
    RETURN true;
END;
$$;
