-- Links the identity to the member unless it is linked already; returns the member it belongs to.
CREATE OR REPLACE FUNCTION link_identity(p_channel text, p_external_id text, p_member uuid) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
BEGIN
    INSERT INTO member_identities (channel, external_id, member_id)
        VALUES (p_channel, p_external_id, p_member) ON CONFLICT DO NOTHING;
    SELECT i.member_id INTO v_member FROM member_identities i WHERE i.channel = p_channel AND i.external_id = p_external_id;
    RETURN coalesce(v_member, p_member);
END;
$$;
