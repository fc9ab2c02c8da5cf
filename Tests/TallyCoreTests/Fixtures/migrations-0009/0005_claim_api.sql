-- The claim API (POST /api/v1/claims) as one function call: the API key, the Idempotency-Key,
-- the member and the claim in one statement, so that an API claim is one round trip and one
-- transaction instead of ten. The rules are those of the Swift code this replaces (IdempotencyStore,
-- MemberStore.resolve) and claim_code does the claim itself.
--
-- (0004 is left for the CRM schema. The migrator applies whatever is not applied yet in
-- version order, so a database that has 0005 takes 0004 when it arrives.)
--
-- Refusals: the function raises SQLSTATE 'TL001' with the refusal's code as the message
-- and, where the server needs more to word it, a JSON object as the detail. Raising rolls
-- back everything the call did (the key, a new member, linked identities), as the Swift
-- transaction's rollback did; the server turns it into the API's error answer.

-- The member a trusted channel claims for, found by phone (the identity that unifies channels)
-- and by the channel's own identity, as MemberStore.resolve did:
-- - both known, to different members: identity_conflict (a CRM merge must resolve it);
-- - one known: that member, and the other identity is linked to it;
-- - neither known: a new member holding both.
-- p_phone is an E.164 number or NULL. Refusals: identity_conflict; identity_taken, with
-- {"identity": "channel" | "phone"}, when a concurrent request linked that identity to another
-- member meanwhile; member_not_created.
CREATE FUNCTION claim_member(p_channel text, p_external_id text, p_phone text) RETURNS uuid
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

-- A new member holding the identity, or, if a concurrent request got there first, the member
-- it made. The identity goes in first, pointing at a new member id, and the member row follows
-- in the same statement (foreign keys are checked at its end); if another request holds the
-- identity, neither row is written (the insert waits for that request to finish) and the
-- winner is read back.
CREATE FUNCTION create_member(p_channel text, p_external_id text) RETURNS uuid
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

-- Links the identity to the member unless it is linked already; returns the member it belongs to.
CREATE FUNCTION link_identity(p_channel text, p_external_id text, p_member uuid) RETURNS uuid
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

-- POST /api/v1/claims, once the server has checked what it can alone (the code's signature,
-- the phone's form, the identity's text), in this order:
-- 0. The API key, as this statement sees it: revoked or expired by now is refused
--    (unauthorized), whatever the server's cache of keys believes (see APIKeyCache).
-- 1. The Idempotency-Key, as IdempotencyStore does for every keyed write: its row goes in
--    first, so a concurrent retry waits on the primary key until this call commits, then
--    gets the stored answer (replayed); the same key with another request hash is refused
--    (idempotency_key_reused); a refusal rolls the key back with everything else.
-- 2. Input the server refused (p_invalid_input: an invalid identity, whose text is not sent)
--    is refused only now, as invalid_input, so that the keys are reported first, as before.
-- 3. The member (claim_member), 4. the claim (claim_code), 5. the answer, stored with the key.
-- The answer is the 201 body, written here byte for byte as ClaimController's JSONEncoder
-- would (sorted keys, upper-case UUID); a test holds the two equal.
-- Refusals from claim_code: its outcome as the code (already_claimed with
-- {"claimed_by", "claimed_at" (Unix seconds), "member"}), or claim_failed if it gave none.
CREATE FUNCTION api_claim(
    p_api_key uuid, p_actor text, p_key text, p_request_hash bytea,
    p_invalid_input boolean, p_channel text, p_external_id text, p_phone text,
    p_kid smallint, p_serial bigint, p_code text,
    p_daily_cap integer, p_time_zone text,
    p_ip inet, p_user_agent text, p_latitude double precision, p_longitude double precision
) RETURNS TABLE (status integer, body bytea, replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_stored idempotency_keys%ROWTYPE;
    v_member uuid;
    v_claim record;
    v_body bytea;
BEGIN
    PERFORM FROM api_keys a
        WHERE a.id = p_api_key AND a.revoked_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > now());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unauthorized' USING ERRCODE = 'TL001';
    END IF;

    INSERT INTO idempotency_keys (actor, key, request_hash, status, response)
        VALUES (p_actor, p_key, p_request_hash, 0, ''::bytea)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO v_stored FROM idempotency_keys k WHERE k.actor = p_actor AND k.key = p_key;
        IF FOUND THEN
            IF v_stored.request_hash <> p_request_hash THEN
                RAISE EXCEPTION 'idempotency_key_reused' USING ERRCODE = 'TL001';
            END IF;
            RETURN QUERY SELECT v_stored.status::integer, v_stored.response, true;
            RETURN;
        END IF;
    END IF;

    IF p_invalid_input THEN
        RAISE EXCEPTION 'invalid_input' USING ERRCODE = 'TL001';
    END IF;

    -- The common case, a known channel identity and no phone, is one lookup (claim_member would
    -- do the same, as a nested call that costs a twentieth of a claim); the rest is claim_member's.
    IF p_phone IS NULL THEN
        SELECT i.member_id INTO v_member FROM member_identities i WHERE i.channel = p_channel AND i.external_id = p_external_id;
    END IF;
    IF v_member IS NULL THEN
        v_member := claim_member(p_channel, p_external_id, p_phone);
    END IF;

    SELECT * INTO v_claim FROM claim_code(
        p_kid, p_serial, v_member, p_channel, p_daily_cap, p_time_zone,
        p_ip, p_user_agent, p_latitude, p_longitude, NULL);
    IF v_claim.outcome = 'already_claimed' THEN
        RAISE EXCEPTION 'already_claimed' USING ERRCODE = 'TL001', DETAIL = json_build_object(
            'claimed_by', v_claim.claimed_by, 'claimed_at', extract(epoch FROM v_claim.claimed_at), 'member', v_member);
    ELSIF v_claim.outcome IS DISTINCT FROM 'claimed' THEN
        RAISE EXCEPTION '%', coalesce(v_claim.outcome, 'claim_failed') USING ERRCODE = 'TL001';
    END IF;

    v_body := convert_to(format('{"balance":%s,"code":"%s","member_id":"%s","outcome":"claimed","points":%s}',
        v_claim.balance, p_code, upper(v_member::text), v_claim.points), 'UTF8');
    UPDATE idempotency_keys k SET status = 201, response = v_body WHERE k.actor = p_actor AND k.key = p_key;
    RETURN QUERY SELECT 201, v_body, false;
END;
$$;
