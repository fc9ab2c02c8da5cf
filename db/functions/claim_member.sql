-- The member a trusted channel claims for, found by phone (the identity that unifies channels)
-- and by the channel's own identity, as MemberStore.resolve did:
-- - both known, to different members: identity_conflict (a CRM merge must resolve it);
-- - one known: that member, and the other identity is linked to it;
-- - neither known: a new member holding both.
-- p_phone is an E.164 number or NULL. Refusals: identity_conflict; identity_taken, with
-- {"identity": "channel" | "phone"}, when a concurrent request linked that identity to another
-- member meanwhile; member_not_created.
CREATE OR REPLACE FUNCTION claim_member(p_channel text, p_external_id text, p_phone text) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_by_phone uuid;
    v_by_identity uuid;
    v_member uuid;
BEGIN
    IF p_phone IS NOT NULL THEN
        SELECT i.member_id INTO v_by_phone FROM member_identities i WHERE i.channel = 'phone' AND i.external_id = p_phone;
    END IF;
    SELECT i.member_id INTO v_by_identity FROM member_identities i WHERE i.channel = p_channel AND i.external_id = p_external_id;
    IF v_by_phone <> v_by_identity THEN
        RAISE EXCEPTION 'identity_conflict' USING ERRCODE = 'TL001';
    END IF;
    v_member := coalesce(v_by_phone, v_by_identity);
    IF v_member IS NULL THEN
        IF p_phone IS NOT NULL THEN
            v_member := create_member('phone', p_phone);
        ELSE
            v_member := create_member(p_channel, p_external_id);
        END IF;
    END IF;
    -- Link what is not linked to this member yet (the common case, a known identity and no
    -- phone, needs nothing more); a concurrent request may have linked it elsewhere meanwhile.
    IF v_by_identity IS DISTINCT FROM v_member AND link_identity(p_channel, p_external_id, v_member) <> v_member THEN
        RAISE EXCEPTION 'identity_taken' USING ERRCODE = 'TL001', DETAIL = '{"identity": "channel"}';
    END IF;
    IF p_phone IS NOT NULL AND v_by_phone IS DISTINCT FROM v_member AND link_identity('phone', p_phone, v_member) <> v_member THEN
        RAISE EXCEPTION 'identity_taken' USING ERRCODE = 'TL001', DETAIL = '{"identity": "phone"}';
    END IF;
    RETURN v_member;
END;
$$;
