-- Claims a code for a member: checks the batch and its state, the member's daily cap, then
-- inserts the claim, credits the points through credit_points (ledger entry, lot, tier, events,
-- the member's rollups) and records the scan. A merged member's claims go to its survivor.
-- Then the live campaigns (apply_campaigns): awards, what the claim won, come back in awards
-- (a JSON array, empty for none), and balance is the member's after them.
-- Outcomes: claimed, already_claimed, unknown_batch, not_active, voided, expired, daily_cap. On
-- already_claimed, claimed_by and claimed_at tell who and when. p_device is the landing page's
-- device cookie (NULL from the API), for the campaigns' abuse limits.
CREATE OR REPLACE FUNCTION claim_code(
    p_kid smallint, p_serial bigint, p_member uuid, p_channel text,
    p_daily_cap integer, p_time_zone text,
    p_ip inet, p_user_agent text, p_latitude double precision, p_longitude double precision, p_accuracy real,
    p_device text
) RETURNS TABLE (
    outcome text, batch_id bigint, points integer, balance bigint,
    claimed_by uuid, claimed_at timestamptz, awards jsonb
) LANGUAGE plpgsql AS $$
DECLARE
    v_batch batches%ROWTYPE;
    v_state text;
    v_claim claims%ROWTYPE;
    v_member uuid;
    v_entry bigint;
    v_balance bigint;
    v_claims_today integer;
    v_awards jsonb := '[]';
    v_credits campaign_credit[] := '{}';
BEGIN
    SELECT * INTO v_batch FROM batches b WHERE b.kid = p_kid AND b.serials @> p_serial;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_batch', NULL::bigint, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz, NULL::jsonb;
        RETURN;
    END IF;
    SELECT c.state INTO v_state FROM batch_state_changes c
        WHERE c.kid = p_kid AND c.serials @> p_serial ORDER BY c.id DESC LIMIT 1;
    v_state := coalesce(v_state, 'created');

    -- Already claimed wins over every other answer: the person sees who holds it (its
    -- survivor, if merged). Two look-ups, not a join: on Citus the claim and the member are
    -- in different shards (docs/scale.md).
    SELECT * INTO v_claim FROM claims c WHERE c.kid = p_kid AND c.serial = p_serial;
    IF FOUND THEN
        RETURN QUERY SELECT 'already_claimed', v_claim.batch_id, v_claim.points, NULL::bigint,
                            coalesce(m.merged_into, v_claim.member_id), v_claim.claimed_at, NULL::jsonb
            FROM members m WHERE m.id = v_claim.member_id;
        RETURN;
    END IF;

    IF v_state <> 'active' THEN
        RETURN QUERY SELECT CASE v_state WHEN 'voided' THEN 'voided' ELSE 'not_active' END,
            v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz, NULL::jsonb;
        RETURN;
    END IF;
    IF v_batch.expiry_date IS NOT NULL AND v_batch.expiry_date < (now() AT TIME ZONE p_time_zone)::date THEN
        RETURN QUERY SELECT 'expired', v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz, NULL::jsonb;
        RETURN;
    END IF;
    -- One member's claims take turns from here: the daily cap is counted under this lock, and
    -- ledger entries get their ids in the order their running balance follows. (An unknown
    -- member is lock_member's error, no_data_found; no subtransaction to catch it: on Citus
    -- each costs a round trip to every worker.)
    SELECT l.member_id INTO v_member FROM lock_member(p_member) l;
    IF p_daily_cap > 0 THEN
        SELECT count(*) INTO v_claims_today FROM claims c
            WHERE c.member_id = v_member
              AND c.claimed_at >= (date_trunc('day', now() AT TIME ZONE p_time_zone) AT TIME ZONE p_time_zone);
        IF v_claims_today >= p_daily_cap THEN
            RETURN QUERY SELECT 'daily_cap', v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz, NULL::jsonb;
            RETURN;
        END IF;
    END IF;

    -- The claim's primary key is the code: a concurrent claim of the same code waits here
    -- for the first to commit, then inserts nothing and credits nothing.
    v_entry := nextval('ledger_entries_id_seq'::regclass);
    INSERT INTO claims AS c (kid, serial, batch_id, member_id, ledger_entry_id, points, channel)
        VALUES (p_kid, p_serial, v_batch.id, v_member, v_entry, v_batch.points_per_code, p_channel)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'already_claimed', c.batch_id, c.points, NULL::bigint, c.member_id, c.claimed_at, NULL::jsonb
            FROM claims c WHERE c.kid = p_kid AND c.serial = p_serial;
        RETURN;
    END IF;

    -- Campaigns, only when one is scheduled (an index of a few rows says so): a programme
    -- without campaigns pays this one probe. Their points are credited with the claim's.
    IF EXISTS (SELECT 1 FROM campaigns c WHERE c.state = 'scheduled') THEN
        SELECT a.awards, a.credits INTO v_awards, v_credits
            FROM apply_campaigns(v_member, p_kid, p_serial, v_batch.id, v_batch.product_id,
                                 coalesce(v_batch.region, 'unknown'), p_channel, v_batch.points_per_code,
                                 p_device, p_ip) a;
    END IF;

    -- The claim's channel, region, product and scan go into the member's rollups with the credit.
    v_balance := credit_points(v_member, v_batch.points_per_code, 'claim', 'claim', v_batch.points_valid_months,
                               NULL, NULL, p_kid, p_serial, v_entry,
                               p_channel, coalesce(v_batch.region, 'unknown'), v_batch.product_id, now(), v_credits);
    -- The scan by its code (code_key): on Citus it is stored with the claim, on the same shard.
    INSERT INTO scans (scanned_at, result, kid, serial, code_key, member_id, ip, user_agent, latitude, longitude, accuracy_m)
        VALUES (now(), 'claimed', p_kid, p_serial, p_serial, v_member, p_ip, left(p_user_agent, 500), p_latitude, p_longitude, p_accuracy);

    RETURN QUERY SELECT 'claimed', v_batch.id, v_batch.points_per_code, v_balance, v_member, now(), v_awards;
END;
$$;
