-- Folds scans the server recorded for members (ScanStore, with its insert, in one statement) into
-- their first and last scan times: each scan's member, or the survivor it was merged into. A
-- claim's own scan is counted by credit_points instead.
--
-- Members are updated in the order of the member they resolve to, as claim batches, merges and
-- the expiry job lock several members, so as not to deadlock with them. The update takes the
-- member's row lock and wants it not merged away: a merge that took the member away meanwhile
-- (and folded its scan times into the survivor's) leaves it found no more, and the scans go to
-- the survivor, as lock_member follows it.
CREATE OR REPLACE FUNCTION note_scans(p_members uuid[], p_times timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_scans record;
    v_member uuid;
BEGIN
    FOR v_scans IN SELECT coalesce(m.merged_into, m.id) AS member_id, min(s.at) AS first, max(s.at) AS last
                   FROM unnest(p_members, p_times) AS s(member_id, at) JOIN members m ON m.id = s.member_id
                   GROUP BY 1 ORDER BY 1 LOOP
        v_member := v_scans.member_id;
        LOOP
            UPDATE members m SET first_scan_at = least(m.first_scan_at, v_scans.first),
                                 last_scan_at = greatest(m.last_scan_at, v_scans.last)
                WHERE m.id = v_member AND m.merged_into IS NULL;
            EXIT WHEN FOUND;
            SELECT m.merged_into INTO v_member FROM members m WHERE m.id = v_member;
            EXIT WHEN v_member IS NULL; -- no such member (none is ever deleted)
        END LOOP;
    END LOOP;
END;
$$;
