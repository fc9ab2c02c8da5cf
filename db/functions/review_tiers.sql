-- Recomputes the tiers of up to p_members members whose review time has come (their oldest
-- points in the window left it, or the tiers changed). Each member is locked first, so the
-- tier is computed from lots no credit is changing; one held by another transaction is skipped.
-- Returns the members reviewed. The due members are found first and then locked one at a time
-- (Citus locks rows of one shard a statement), each checked again once locked.
CREATE OR REPLACE FUNCTION review_tiers(p_members integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_due uuid;
    v_member uuid;
    v_reviewed integer := 0;
BEGIN
    FOR v_due IN SELECT m.id FROM members m
                 WHERE m.tier_review_at <= now() AND m.merged_into IS NULL
                 ORDER BY m.tier_review_at LIMIT p_members LOOP
        SELECT m.id INTO v_member FROM members m
            WHERE m.id = v_due AND m.tier_review_at <= now() AND m.merged_into IS NULL FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        PERFORM refresh_tier(v_member);
        v_reviewed := v_reviewed + 1;
    END LOOP;
    RETURN v_reviewed;
END;
$$;
