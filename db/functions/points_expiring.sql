-- The member's points expiring within p_within from now: sum(remaining) of its lots with
-- remaining > 0 and expires_at <= now() + p_within (those past their expiry that the expiry job
-- has not written off yet included). Exact, and read from a bounded number of rows whatever the
-- member's history: the whole days before the day of that instant from member_points_expiring
-- (at most one row a day that still has points), then that day's lots up to the instant from
-- point_lots (as many as the member earned on one day). Days are UTC days, as
-- point_lots.expires_on.
--
-- plpgsql, not an inlined SQL function: Citus cannot plan a SQL function that reads its tables
-- with parameters; each statement here goes to the member's shard.
CREATE OR REPLACE FUNCTION points_expiring(p_member uuid, p_within interval) RETURNS TABLE (points bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_until timestamptz := now() + p_within;
    v_day date := (v_until AT TIME ZONE 'UTC')::date;
BEGIN
    points := coalesce((SELECT sum(e.points) FROM member_points_expiring e
                        WHERE e.member_id = p_member AND e.expires_on < v_day), 0)
            + coalesce((SELECT sum(l.remaining) FROM point_lots l
                        WHERE l.member_id = p_member AND l.remaining > 0
                          AND l.expires_at >= v_day::timestamp AT TIME ZONE 'UTC' AND l.expires_at <= v_until), 0);
    RETURN NEXT;
END;
$$;
