-- Consumer scans and claims: one-time sign-in codes, and the claim itself as one
-- function call, so that a claim costs a single round trip to the database.

-- Every claim credits points and appends exactly one ledger entry (I1), so a batch
-- must be worth at least one point per code.
ALTER TABLE batches ADD CONSTRAINT batches_points_positive CHECK (points_per_code >= 1) NOT VALID;

-- The claim is inserted before its ledger entry (so that a second claim of the same code
-- stops at the claim's primary key before touching any balance); the reference to the
-- ledger entry is checked at commit.
ALTER TABLE claims DROP CONSTRAINT claims_member_id_ledger_entry_id_fkey;
ALTER TABLE claims ADD CONSTRAINT claims_ledger_entry_fkey
    FOREIGN KEY (member_id, ledger_entry_id) REFERENCES ledger_entries (member_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE claims ADD CONSTRAINT claims_member_fkey FOREIGN KEY (member_id) REFERENCES members (id);

-- One-time sign-in codes, stored as an HMAC (never the code), single use, short-lived.
CREATE TABLE otp_challenges (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    phone        text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    code_hash    bytea NOT NULL CHECK (length(code_hash) = 32),
    ip           inet,
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz
);
CREATE INDEX otp_challenges_by_phone ON otp_challenges (phone, created_at DESC);
CREATE INDEX otp_challenges_by_ip ON otp_challenges (ip, created_at DESC);

-- Claims a code for a member: checks the batch and its state, the member's daily cap,
-- then inserts the claim, updates the balance and appends the ledger entry, and records
-- the scan. Outcomes: claimed, already_claimed, unknown_batch, not_active, voided,
-- expired, daily_cap. On already_claimed, claimed_by and claimed_at tell who and when.
CREATE FUNCTION claim_code(
    p_kid smallint, p_serial bigint, p_member uuid, p_channel text,
    p_daily_cap integer, p_time_zone text,
    p_ip inet, p_user_agent text, p_latitude double precision, p_longitude double precision, p_accuracy real
) RETURNS TABLE (
    outcome text, batch_id bigint, points integer, balance bigint,
    claimed_by uuid, claimed_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    v_batch batches%ROWTYPE;
    v_state text;
    v_entry bigint;
    v_balance bigint;
    v_claims_today integer;
BEGIN
    SELECT * INTO v_batch FROM batches b WHERE b.kid = p_kid AND b.serials @> p_serial;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_batch', NULL::bigint, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT c.state INTO v_state FROM batch_state_changes c
        WHERE c.kid = p_kid AND c.serials @> p_serial ORDER BY c.id DESC LIMIT 1;
    v_state := coalesce(v_state, 'created');

    -- Already claimed wins over every other answer: the person sees who holds it.
    RETURN QUERY SELECT 'already_claimed', c.batch_id, c.points, NULL::bigint, c.member_id, c.claimed_at
        FROM claims c WHERE c.kid = p_kid AND c.serial = p_serial;
    IF FOUND THEN RETURN; END IF;

    IF v_state <> 'active' THEN
        RETURN QUERY SELECT CASE v_state WHEN 'voided' THEN 'voided' ELSE 'not_active' END,
            v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz;
        RETURN;
    END IF;
    IF v_batch.expiry_date IS NOT NULL AND v_batch.expiry_date < (now() AT TIME ZONE p_time_zone)::date THEN
        RETURN QUERY SELECT 'expired', v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz;
        RETURN;
    END IF;
    -- One member's claims take turns from here: the daily cap is counted under this lock, and
    -- ledger entries get their ids in the order their running balance follows.
    PERFORM 1 FROM members m WHERE m.id = p_member FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'member % does not exist', p_member USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF p_daily_cap > 0 THEN
        SELECT count(*) INTO v_claims_today FROM claims c
            WHERE c.member_id = p_member
              AND c.claimed_at >= (date_trunc('day', now() AT TIME ZONE p_time_zone) AT TIME ZONE p_time_zone);
        IF v_claims_today >= p_daily_cap THEN
            RETURN QUERY SELECT 'daily_cap', v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz;
            RETURN;
        END IF;
    END IF;

    -- The claim's primary key is the code: a concurrent claim of the same code waits here
    -- for the first to commit, then inserts nothing and credits nothing.
    v_entry := nextval(pg_get_serial_sequence('ledger_entries', 'id'));
    INSERT INTO claims AS c (kid, serial, batch_id, member_id, ledger_entry_id, points, channel)
        VALUES (p_kid, p_serial, v_batch.id, p_member, v_entry, v_batch.points_per_code, p_channel)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'already_claimed', c.batch_id, c.points, NULL::bigint, c.member_id, c.claimed_at
            FROM claims c WHERE c.kid = p_kid AND c.serial = p_serial;
        RETURN;
    END IF;

    UPDATE members m SET balance = m.balance + v_batch.points_per_code,
                         lifetime_earned = m.lifetime_earned + v_batch.points_per_code,
                         updated_at = now()
        WHERE m.id = p_member RETURNING m.balance INTO v_balance;
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, kid, serial)
        OVERRIDING SYSTEM VALUE
        VALUES (p_member, v_entry, 'claim', v_batch.points_per_code, v_balance, p_kid, p_serial);
    INSERT INTO scans (result, kid, serial, member_id, ip, user_agent, latitude, longitude, accuracy_m)
        VALUES ('claimed', p_kid, p_serial, p_member, p_ip, left(p_user_agent, 500), p_latitude, p_longitude, p_accuracy);

    RETURN QUERY SELECT 'claimed', v_batch.id, v_batch.points_per_code, v_balance, p_member, now();
END;
$$;
