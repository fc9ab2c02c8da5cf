-- Recomputes the tiers of up to p_members members whose review time has come (their oldest
-- points in the window left it, or the tiers changed). Each member is locked first, so the
-- tier is computed from lots no credit is changing. Returns the members reviewed.
CREATE OR REPLACE FUNCTION review_tiers(p_members integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
    v_reviewed integer := 0;
BEGIN
    FOR v_member IN SELECT m.id FROM members m
                    WHERE m.tier_review_at <= now() AND m.merged_into IS NULL
                    ORDER BY m.tier_review_at LIMIT p_members FOR UPDATE SKIP LOCKED LOOP
        PERFORM refresh_tier(v_member);
        v_reviewed := v_reviewed + 1;
    END LOOP;
    RETURN v_reviewed;
END;
$$;
