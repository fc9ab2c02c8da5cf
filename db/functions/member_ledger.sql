-- A member's ledger (MemberLedger), newest first: its entries and those of the members merged
-- into it, up to p_limit, before entry p_before, of kind p_kind, created in [p_from, p_until)
-- (each NULL: any). No row for an unknown member; one row with no entry for a member with no
-- entry that matches. First whether the API key p_key is live at this instant (NULL: no key to
-- check, true). A member merged away gets only merged_into (its survivor).
--
-- Each part a statement of its own, as Citus wants: the member, the members merged into it
-- (in their own shards) and then their entries, never a join across members.
CREATE OR REPLACE FUNCTION member_ledger(
    p_key uuid, p_member uuid, p_before bigint, p_kind text, p_from timestamptz, p_until timestamptz, p_limit bigint
) RETURNS TABLE (
    key_live boolean, merged_into uuid, id bigint, member_id uuid, kind text, points bigint, balance_after bigint,
    kid smallint, serial bigint, reason text, actor text, created_at timestamptz, campaign_id bigint, campaign_version integer
) LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_members uuid[];
BEGIN
    SELECT m.merged_into INTO merged_into FROM members m WHERE m.id = p_member;
    IF NOT FOUND THEN RETURN; END IF;
    key_live := p_key IS NULL OR api_key_is_live(p_key);
    IF NOT key_live OR merged_into IS NOT NULL THEN RETURN NEXT; RETURN; END IF;
    v_members := p_member || ARRAY(SELECT x.id FROM members x WHERE x.merged_into = p_member);
    RETURN QUERY
        SELECT true, NULL::uuid, e.id, e.member_id, e.kind, e.points, e.balance_after, e.kid, e.serial, e.reason, e.actor,
               e.created_at, e.campaign_id, e.campaign_version
        FROM ledger_entries e
        WHERE e.member_id = ANY (v_members)
          AND (p_before IS NULL OR e.id < p_before)
          AND (p_kind IS NULL OR e.kind = p_kind)
          AND (p_from IS NULL OR e.created_at >= p_from)
          AND (p_until IS NULL OR e.created_at < p_until)
        ORDER BY e.id DESC LIMIT p_limit;
    IF NOT FOUND THEN RETURN NEXT; END IF;
END;
$$;
