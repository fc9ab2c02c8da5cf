-- The prize a draw's ticket wins in a campaign version's prize table: the prizes take the
-- tickets 0 to 999,999 in their order, each as many as its probability in millionths. No row:
-- the ticket won nothing. Shared by the claims (apply_campaigns), the backtest and the checks.
-- PL/pgSQL: Citus cannot plan an SQL function that reads its tables called with parameters.
CREATE OR REPLACE FUNCTION campaign_prize(p_campaign bigint, p_version integer, p_ticket integer)
RETURNS SETOF campaign_prizes LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT p.campaign_id, p.version, p.position, p.key, p.name_zh, p.name_en, p.points, p.reward_id, p.probability_ppm, p.stock
    FROM (SELECT p.*, sum(p.probability_ppm) OVER (ORDER BY p.position) AS upto
          FROM campaign_prizes p WHERE p.campaign_id = p_campaign AND p.version = p_version) p
    WHERE p_ticket < p.upto ORDER BY p.position LIMIT 1;
END;
$$;
