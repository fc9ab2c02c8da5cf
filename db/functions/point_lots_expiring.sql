-- Keeps member_points_expiring right through every UPDATE of lots: a debit's, a cancellation's,
-- the expiry's, a merge's (which moves lots to the survivor), or a lot's expiry moved by hand.
-- Each statement's old rows are taken out of their (member, day) and its new rows put in; a row
-- left with 0 points goes. A lot's INSERT is not counted here but by credit_points, in the claim's
-- own statement: a trigger would cost every claim its call.
CREATE OR REPLACE FUNCTION point_lots_expiring() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_members uuid[];
    v_days date[];
    v_points bigint[];
    v_after bigint;
BEGIN
    -- The changes per (member, day), from the transition tables alone; then each applied by
    -- itself. On Citus this runs on the lots' shard, where a statement that mixes a transition
    -- table with a distributed table (or a MERGE with one) cannot be planned. A statement
    -- touches a few (member, day) rows, in key order.
    SELECT array_agg(d.member_id ORDER BY d.member_id, d.expires_on), array_agg(d.expires_on ORDER BY d.member_id, d.expires_on),
           array_agg(d.points ORDER BY d.member_id, d.expires_on)
        INTO v_members, v_days, v_points
        FROM (SELECT x.member_id, x.expires_on, sum(x.points) AS points FROM (
                  SELECT o.member_id, o.expires_on, -o.remaining AS points FROM old_lots o WHERE o.remaining > 0
                  UNION ALL
                  SELECT n.member_id, n.expires_on, n.remaining FROM new_lots n WHERE n.remaining > 0) x
              WHERE x.expires_on IS NOT NULL
              GROUP BY x.member_id, x.expires_on HAVING sum(x.points) <> 0) d;
    FOR i IN 1 .. coalesce(cardinality(v_members), 0) LOOP
        UPDATE member_points_expiring e SET points = e.points + v_points[i]
            WHERE e.member_id = v_members[i] AND e.expires_on = v_days[i]
            RETURNING e.points INTO v_after;
        IF NOT FOUND THEN
            INSERT INTO member_points_expiring (member_id, expires_on, points) VALUES (v_members[i], v_days[i], v_points[i]);
        ELSIF v_after = 0 THEN
            DELETE FROM member_points_expiring e WHERE e.member_id = v_members[i] AND e.expires_on = v_days[i];
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER point_lots_expiring AFTER UPDATE ON point_lots
    REFERENCING OLD TABLE AS old_lots NEW TABLE AS new_lots
    FOR EACH STATEMENT EXECUTE FUNCTION point_lots_expiring();
