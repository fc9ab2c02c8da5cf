-- For each programme day D from p_from to p_to: the members (claims.member_id, as claimed) with a
-- claim in the 90 days D-89 .. D (claimers), and those with 2 or more in them (repeaters). One
-- pass over the claims of D-89 .. p_to, whatever the span: with a member's claim days in order
-- t1 <= t2 <= ..., the days it is a claimer are the union of [ti, ti+89], and the days it is a
-- repeater the union of [t(i+1), ti+89]; each interval less the one before it is a disjoint
-- piece ([max(ti, t(i-1)+90), ti+89] and [max(t(i+1), t(i-1)+90), ti+89]), so counting pieces
-- into a running sum of +1 at their start and -1 after their end counts each member once a day.
-- PL/pgSQL, and the claim days MATERIALIZED: Citus plans neither an SQL function reading its
-- tables with parameters nor a window by member over claims kept by serial.
CREATE OR REPLACE FUNCTION repeat_claims_between(p_from date, p_to date)
RETURNS TABLE (day date, claimers bigint, repeaters bigint) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH zone AS (SELECT s.rollup_time_zone AS tz FROM programme_settings s),
    days AS MATERIALIZED (
        SELECT c.member_id, (c.claimed_at AT TIME ZONE z.tz)::date AS t
        FROM claims c, zone z
        WHERE c.claimed_at >= ((p_from - 89)::timestamp AT TIME ZONE z.tz)
          AND c.claimed_at < ((p_to + 1)::timestamp AT TIME ZONE z.tz)),
    ordered AS (
        SELECT d.t, lag(d.t) OVER w AS prev, lead(d.t) OVER w AS next
        FROM days d WINDOW w AS (PARTITION BY d.member_id ORDER BY d.t)),
    pieces AS (
        SELECT 1 AS claimer, 0 AS repeater, greatest(o.t, o.prev + 90, p_from) AS s, least(o.t + 89, p_to) AS e FROM ordered o
        UNION ALL
        SELECT 0, 1, greatest(o.next, o.prev + 90, p_from), least(o.t + 89, p_to) FROM ordered o WHERE o.next IS NOT NULL),
    deltas AS (
        SELECT x.at, sum(x.c) AS c, sum(x.r) AS r FROM (
            SELECT p.s AS at, p.claimer AS c, p.repeater AS r FROM pieces p WHERE p.s <= p.e
            UNION ALL
            SELECT p.e + 1, -p.claimer, -p.repeater FROM pieces p WHERE p.s <= p.e) x
        GROUP BY x.at)
    SELECT g.day::date, (sum(coalesce(d.c, 0)) OVER w)::bigint, (sum(coalesce(d.r, 0)) OVER w)::bigint
    FROM generate_series(p_from, p_to, interval '1 day') AS g(day) LEFT JOIN deltas d ON d.at = g.day::date
    WINDOW w AS (ORDER BY g.day)
    ORDER BY 1;
END;
$$;
