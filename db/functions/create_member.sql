-- A new member holding the identity, or, if a concurrent request got there first, the member
-- it made. The identity goes in first, pointing at a new member id, and the member row follows
-- in the same statement (foreign keys are checked at its end); if another request holds the
-- identity, neither row is written (the insert waits for that request to finish) and the
-- winner is read back.
CREATE OR REPLACE FUNCTION create_member(p_channel text, p_external_id text) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
BEGIN
    WITH linked AS (
        INSERT INTO member_identities (channel, external_id, member_id)
        VALUES (p_channel, p_external_id, gen_random_uuid())
        ON CONFLICT DO NOTHING RETURNING member_id)
    INSERT INTO members (id) SELECT member_id FROM linked RETURNING id INTO v_member;
    IF v_member IS NULL THEN
        SELECT i.member_id INTO v_member FROM member_identities i WHERE i.channel = p_channel AND i.external_id = p_external_id;
    END IF;
    IF v_member IS NULL THEN
        RAISE EXCEPTION 'member_not_created' USING ERRCODE = 'TL001';
    END IF;
    RETURN v_member;
END;
$$;
