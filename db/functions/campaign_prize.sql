-- The prize a draw's ticket wins in a campaign version's prize table: the prizes take the
-- tickets 0 to 999,999 in their order, each as many as its probability in millionths. No row:
-- the ticket won nothing. Shared by the claims (apply_campaigns), the backtest and the checks.
-- PL/pgSQL and its own columns, as Citus needs: it plans a query of a reference table with
-- parameters only from PL/pgSQL, and the table's row type would be its local copy's there.
CREATE OR REPLACE FUNCTION campaign_prize(p_campaign bigint, p_version integer, p_ticket integer)
RETURNS TABLE (key text, name_zh text, name_en text, points bigint, reward_id bigint) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
        SELECT p.key, p.name_zh, p.name_en, p.points, p.reward_id
        FROM (SELECT p.*, sum(p.probability_ppm) OVER (ORDER BY p.position) AS upto
              FROM campaign_prizes p WHERE p.campaign_id = p_campaign AND p.version = p_version) p
        WHERE p_ticket < p.upto ORDER BY p.position LIMIT 1;
END;
$$;
