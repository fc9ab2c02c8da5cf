-- What the landing page shows about a genuine code (CodeStatusStatement): its batch, product,
-- state and whether it expired (in p_time_zone's today), and its claim: who holds it (the
-- survivor, if merged), when, and whether that is the viewer p_viewer (or the member the viewer
-- was merged into). No row when no batch holds the code.
--
-- The claim, then its member, each a look-up by key: on Citus claims are keyed by code and
-- members by id, and a join of the two reads every members shard (docs/scale.md).
CREATE OR REPLACE FUNCTION code_status(p_kid smallint, p_serial bigint, p_viewer uuid, p_time_zone text)
RETURNS TABLE (
    batch_id bigint, product_name text, image_url text, lot text, production_date text, points_per_code integer,
    state text, expired boolean, claimed_by uuid, claimed_at timestamptz, claimed_by_viewer boolean
) LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_member uuid;
BEGIN
    SELECT b.id, p.name, p.image_url, b.lot, to_char(b.production_date, 'YYYY-MM-DD'), b.points_per_code,
           coalesce((SELECT c.state FROM batch_state_changes c
                     WHERE c.kid = b.kid AND c.serials @> p_serial ORDER BY c.id DESC LIMIT 1), 'created'),
           b.expiry_date IS NOT NULL AND b.expiry_date < (now() AT TIME ZONE p_time_zone)::date
        INTO batch_id, product_name, image_url, lot, production_date, points_per_code, state, expired
        FROM batches b JOIN products p ON p.id = b.product_id
        WHERE b.kid = p_kid AND b.serials @> p_serial;
    IF NOT FOUND THEN RETURN; END IF;
    SELECT c.member_id, c.claimed_at INTO v_member, claimed_at FROM claims c WHERE c.kid = p_kid AND c.serial = p_serial;
    claimed_by_viewer := false;
    IF v_member IS NOT NULL THEN
        SELECT coalesce(m.merged_into, m.id) INTO claimed_by FROM members m WHERE m.id = v_member;
        claimed_by := coalesce(claimed_by, v_member);
        IF p_viewer IS NOT NULL THEN
            claimed_by_viewer := coalesce(claimed_by IN (SELECT coalesce(v.merged_into, v.id) FROM members v WHERE v.id = p_viewer), false);
        END IF;
    END IF;
    RETURN NEXT;
END;
$$;
