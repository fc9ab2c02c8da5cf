-- The claim API (POST /api/v1/claims) as one function call: the API key, the Idempotency-Key,
-- the member and the claim in one statement, so that an API claim is one round trip and one
-- transaction instead of ten. claim_member finds or makes the member, claim_code does the claim.
--
-- Refusals: the function raises SQLSTATE 'TL001' with the refusal's code as the message
-- and, where the server needs more to word it, a JSON object as the detail. Raising rolls
-- back everything the call did (the key, a new member, linked identities); the server turns
-- it into the API's error answer.
--
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
-- 3. The member (claim_member), 4. the claim (claim_code), 5. its result, stored with the key.
-- The answer is the claim's result, not an HTTP answer: outcome 'claimed' (this call) or
-- 'replayed' (an earlier request with this key), with the member credited, the points and the
-- balance after the claim and its campaign awards (claim_code's awards, a JSON array), from
-- which the server writes its 201 body. A key whose answer was
-- stored as a status and body (before migration 0010) replays those: outcome 'replayed' with
-- stored_status and stored_body, and no member.
-- Refusals from claim_code: its outcome as the code (already_claimed with
-- {"claimed_by", "claimed_at" (Unix seconds), "member"}), or claim_failed if it gave none.
CREATE OR REPLACE FUNCTION api_claim(
    p_api_key uuid, p_actor text, p_key text, p_request_hash bytea,
    p_invalid_input boolean, p_channel text, p_external_id text, p_phone text,
    p_kid smallint, p_serial bigint,
    p_daily_cap integer, p_time_zone text,
    p_ip inet, p_user_agent text, p_latitude double precision, p_longitude double precision
) RETURNS TABLE (
    outcome text, member_id uuid, points integer, balance bigint, stored_status integer, stored_body bytea,
    awards jsonb
)
LANGUAGE plpgsql AS $$
DECLARE
    v_stored idempotency_keys%ROWTYPE;
    v_member uuid;
    v_claim record;
BEGIN
    IF NOT api_key_is_live(p_api_key) THEN
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
            IF v_stored.claim_member IS NOT NULL THEN
                RETURN QUERY SELECT 'replayed', v_stored.claim_member, v_stored.claim_points, v_stored.claim_balance,
                                    NULL::integer, NULL::bytea, coalesce(v_stored.claim_awards, '[]'::jsonb);
            ELSE
                RETURN QUERY SELECT 'replayed', NULL::uuid, NULL::integer, NULL::bigint,
                                    v_stored.status::integer, v_stored.response, NULL::jsonb;
            END IF;
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
        p_ip, p_user_agent, p_latitude, p_longitude, NULL, NULL);
    IF v_claim.outcome = 'already_claimed' THEN
        RAISE EXCEPTION 'already_claimed' USING ERRCODE = 'TL001', DETAIL = json_build_object(
            'claimed_by', v_claim.claimed_by, 'claimed_at', extract(epoch FROM v_claim.claimed_at), 'member', v_member);
    ELSIF v_claim.outcome IS DISTINCT FROM 'claimed' THEN
        RAISE EXCEPTION '%', coalesce(v_claim.outcome, 'claim_failed') USING ERRCODE = 'TL001';
    END IF;

    UPDATE idempotency_keys k SET claim_member = v_member, claim_points = v_claim.points, claim_balance = v_claim.balance,
                                  claim_awards = v_claim.awards
        WHERE k.actor = p_actor AND k.key = p_key;
    RETURN QUERY SELECT 'claimed', v_member, v_claim.points, v_claim.balance, NULL::integer, NULL::bytea, v_claim.awards;
END;
$$;
