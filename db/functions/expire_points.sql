-- Writes off what is left of lots past their expiry, one ledger entry per member, for at most
-- p_members members per call; call it until `seen` is 0. `members` counts those who had
-- points written off (a member merged away meanwhile is seen but has nothing left).
-- A slice's members are locked in id order, as claim batches and merges do, so the job does
-- not deadlock with a batch that holds two of them.
CREATE OR REPLACE FUNCTION expire_points(p_members integer) RETURNS TABLE (seen integer, members integer, points bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
    v_points bigint;
BEGIN
    seen := 0;
    members := 0;
    points := 0;
    FOR v_member IN SELECT d.member_id FROM (
                        SELECT DISTINCT l.member_id FROM point_lots l
                        WHERE l.remaining > 0 AND l.expires_at <= now()) d
                    ORDER BY d.member_id LIMIT p_members LOOP
        seen := seen + 1;
        -- Lots belong to members not merged away; if this one was merged meanwhile, its lots
        -- moved to the survivor and nothing is left here to write off.
        PERFORM 1 FROM members m WHERE m.id = v_member FOR UPDATE;
        v_points := expire_member_lots(v_member);
        IF v_points > 0 THEN
            members := members + 1;
            points := points + v_points;
        END IF;
    END LOOP;
    RETURN NEXT;
END;
$$;
