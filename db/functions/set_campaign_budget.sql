-- Sets a campaign budget's total ('points', 'awards', 'prize:<key>'; NULL: unlimited, the
-- budget goes). What the awards already used stays used: the slices get total − used, spread
-- evenly. Raises check_violation when the new total is below what is used. Locks the budget's
-- slices first, so claims taking from it wait for the change and nothing is counted twice.
CREATE OR REPLACE FUNCTION set_campaign_budget(p_campaign bigint, p_budget text, p_total bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_used bigint := 0;
    v_left bigint;
BEGIN
    PERFORM FROM campaign_budgets b WHERE b.campaign_id = p_campaign AND b.budget = p_budget FOR UPDATE;
    IF FOUND THEN
        PERFORM FROM campaign_budget_slices s WHERE s.campaign_id = p_campaign AND s.budget = p_budget ORDER BY s.slice FOR UPDATE;
        SELECT b.total - coalesce((SELECT sum(s.units) FROM campaign_budget_slices s
                                   WHERE s.campaign_id = p_campaign AND s.budget = p_budget), 0)
            INTO v_used FROM campaign_budgets b WHERE b.campaign_id = p_campaign AND b.budget = p_budget;
    END IF;
    IF p_total IS NULL THEN
        DELETE FROM campaign_budget_slices s WHERE s.campaign_id = p_campaign AND s.budget = p_budget;
        DELETE FROM campaign_budgets b WHERE b.campaign_id = p_campaign AND b.budget = p_budget;
        RETURN;
    END IF;
    IF p_total < v_used THEN
        RAISE EXCEPTION 'budget % of campaign % is set to %, below the % already used', p_budget, p_campaign, p_total, v_used
            USING ERRCODE = 'check_violation', DETAIL = json_build_object('used', v_used)::text;
    END IF;
    v_left := p_total - v_used;
    INSERT INTO campaign_budgets AS b (campaign_id, budget, total) VALUES (p_campaign, p_budget, p_total)
        ON CONFLICT (campaign_id, budget) DO UPDATE SET total = excluded.total;
    INSERT INTO campaign_budget_slices (campaign_id, budget, slice, units)
        SELECT p_campaign, p_budget, n.slice, v_left / 16 + CASE WHEN n.slice < v_left % 16 THEN 1 ELSE 0 END
        FROM generate_series(0, 15) AS n (slice)
    ON CONFLICT (campaign_id, budget, slice) DO UPDATE SET units = excluded.units;
END;
$$;
