-- A member's profile (MemberProfileStatement): the member with id p_member, or else the one
-- holding the identity (p_channel, p_external_id); no row for none. First whether the API key
-- p_key is live at this instant (NULL: no key to check, true). A member merged away gets only
-- merged_into (its survivor). Reads the member's row and its rollups, never its history.
--
-- Each part a statement of its own, as Citus wants: the identity (distributed by its own key)
-- and the member's rows (by member id) are looked up one after the other, never joined.
CREATE OR REPLACE FUNCTION member_profile(p_key uuid, p_member uuid, p_channel text, p_external_id text)
RETURNS TABLE (
    key_live boolean, merged_into uuid, id uuid, balance bigint, lifetime_earned bigint, lifetime_redeemed bigint,
    lifetime_expired bigint, tier text, created_at timestamptz, expiring_30 bigint, expiring_60 bigint,
    expiring_90 bigint, first_scan_at timestamptz, last_scan_at timestamptz, merged_from uuid[],
    channel_keys text[], channel_claims bigint[], region_keys text[], region_claims bigint[],
    product_skus text[], product_names text[], product_claims bigint[],
    identity_channels text[], identity_external_ids text[], identity_linked_at timestamptz[]
) LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_id uuid := p_member;
    v_m members%ROWTYPE;
BEGIN
    IF v_id IS NULL THEN
        SELECT f.member_id INTO v_id FROM member_identities f WHERE f.channel = p_channel AND f.external_id = p_external_id;
    END IF;
    SELECT * INTO v_m FROM members m WHERE m.id = v_id;
    IF NOT FOUND THEN RETURN; END IF;
    key_live := p_key IS NULL OR api_key_is_live(p_key);
    merged_into := v_m.merged_into;
    IF merged_into IS NOT NULL THEN RETURN NEXT; RETURN; END IF;
    id := v_m.id;
    balance := v_m.balance;
    lifetime_earned := v_m.lifetime_earned;
    lifetime_redeemed := v_m.lifetime_redeemed;
    lifetime_expired := v_m.lifetime_expired;
    tier := v_m.tier;
    created_at := v_m.created_at;
    first_scan_at := v_m.first_scan_at;
    last_scan_at := v_m.last_scan_at;
    expiring_30 := (SELECT e.points FROM points_expiring(v_id, interval '30 days') e);
    expiring_60 := (SELECT e.points FROM points_expiring(v_id, interval '60 days') e);
    expiring_90 := (SELECT e.points FROM points_expiring(v_id, interval '90 days') e);
    merged_from := ARRAY(SELECT x.id FROM members x WHERE x.merged_into = v_id ORDER BY x.id);
    -- The claim counts as arrays of keys and counts: two aggregates over one scan take the rows
    -- in the same order.
    SELECT array_agg(c.key), array_agg(c.value::int8) INTO channel_keys, channel_claims
        FROM jsonb_each_text(v_m.claims_by_channel) c;
    SELECT array_agg(c.key), array_agg(c.value::int8) INTO region_keys, region_claims
        FROM jsonb_each_text(v_m.claims_by_region) c;
    SELECT array_agg(p.sku), array_agg(p.name), array_agg(c.value::int8) INTO product_skus, product_names, product_claims
        FROM jsonb_each_text(v_m.claims_by_product) c JOIN products p ON p.id = c.key::int8;
    SELECT array_agg(i.channel ORDER BY i.created_at, i.channel, i.external_id),
           array_agg(i.external_id ORDER BY i.created_at, i.channel, i.external_id),
           array_agg(i.created_at ORDER BY i.created_at, i.channel, i.external_id)
        INTO identity_channels, identity_external_ids, identity_linked_at
        FROM member_identities i WHERE i.member_id = v_id;
    RETURN NEXT;
END;
$$;
