-- Keeps member_points_expiring right through every UPDATE of lots: a debit's, a cancellation's,
-- the expiry's, a merge's (which moves lots to the survivor), or a lot's expiry moved by hand.
-- Each statement's old rows are taken out of their (member, day) and its new rows put in; a row
-- left with 0 points goes. A lot's INSERT is not counted here but by credit_points, in the claim's
-- own statement: a trigger would cost every claim its call.
CREATE OR REPLACE FUNCTION point_lots_expiring() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    MERGE INTO member_points_expiring e
    USING (SELECT x.member_id, x.expires_on, sum(x.points) AS points FROM (
               SELECT o.member_id, o.expires_on, -o.remaining AS points FROM old_lots o WHERE o.remaining > 0
               UNION ALL
               SELECT n.member_id, n.expires_on, n.remaining FROM new_lots n WHERE n.remaining > 0) x
           WHERE x.expires_on IS NOT NULL
           GROUP BY x.member_id, x.expires_on HAVING sum(x.points) <> 0) d
    ON e.member_id = d.member_id AND e.expires_on = d.expires_on
    WHEN MATCHED AND e.points + d.points = 0 THEN DELETE
    WHEN MATCHED THEN UPDATE SET points = e.points + d.points
    WHEN NOT MATCHED THEN INSERT (member_id, expires_on, points) VALUES (d.member_id, d.expires_on, d.points);
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER point_lots_expiring AFTER UPDATE ON point_lots
    REFERENCING OLD TABLE AS old_lots NEW TABLE AS new_lots
    FOR EACH STATEMENT EXECUTE FUNCTION point_lots_expiring();
