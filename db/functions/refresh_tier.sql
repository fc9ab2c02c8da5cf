-- The tier a member's points earned in the window reach, and when it should next be looked
-- at without a new credit (when the oldest points in the window leave it and the tier drops).
CREATE OR REPLACE FUNCTION refresh_tier(p_member uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_window interval;
    v_earned bigint;
    v_tier text;
    v_threshold bigint;
    v_review timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tiers) THEN
        UPDATE members SET tier = NULL, tier_review_at = NULL
            WHERE id = p_member AND (tier IS NOT NULL OR tier_review_at IS NOT NULL);
        RETURN NULL;
    END IF;
    SELECT make_interval(months => s.tier_window_months) INTO v_window FROM programme_settings s;
    SELECT coalesce(sum(l.points), 0) INTO v_earned FROM point_lots l
        WHERE l.member_id = p_member AND l.earned_at > now() - v_window;
    SELECT t.name, t.min_earned INTO v_tier, v_threshold FROM tiers t
        WHERE t.min_earned <= v_earned ORDER BY t.min_earned DESC LIMIT 1;
    IF v_tier IS NOT NULL AND v_threshold > 0 THEN
        -- Walking from the oldest lot in the window: the first one whose leaving takes the
        -- sum below the threshold sets the review time.
        SELECT x.earned_at + v_window INTO v_review FROM (
            SELECT l.earned_at, v_earned - sum(l.points) OVER (ORDER BY l.earned_at, l.id) AS left_after
            FROM point_lots l WHERE l.member_id = p_member AND l.earned_at > now() - v_window) x
        WHERE x.left_after < v_threshold ORDER BY x.earned_at LIMIT 1;
    END IF;
    UPDATE members SET tier = v_tier, tier_review_at = v_review
        WHERE id = p_member AND (tier IS DISTINCT FROM v_tier OR tier_review_at IS DISTINCT FROM v_review);
    RETURN v_tier;
END;
$$;
