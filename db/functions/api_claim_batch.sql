-- API claims that arrive together, run as one call and one transaction (group commit): each
-- claim is still api_claim, exactly as alone, and a refused claim changes nothing; what a
-- transaction costs beyond its statements (the commit and its WAL flush, the round trip,
-- starting and ending it) is paid once for the batch.
-- Measured with pgbench on the 2-core VM: 8 claims a call run 1.4 × the claims/s of one a call.
--
-- One subtransaction for the batch, not one a claim: on Citus every savepoint and its release
-- is a round trip to each worker the transaction uses (8 a claim, a third of its round trips).
-- A refusal rolls the whole pass back; the batch then runs again as before, each claim in a
-- subtransaction of its own, so a refused claim rolls back only itself. (Running the claims
-- before it again without it, pass after pass, cost a batch of refusals of one code so many
-- passes that on Citus it outlived the server's batch deadline.)
--
-- A procedure, so that it COMMITs before it answers, in one round trip. (A lone statement's
-- implicit commit comes after its rows, which the driver hands over at once: a claim could be
-- answered before it was durable. BEGIN and COMMIT as statements of their own cost two more
-- round trips, 15 % of the claims/s.)
--
-- The batch's members are found by one index probe per identity. (As a join of unnest() with
-- member_identities, the planner's fixed guess for unnest made it hash the whole table, a cost
-- that grows with the members.) A lone claim skips the pre-lock: like a landing-page claim, it
-- locks one member (and a merged member's survivor) and has no other member to take in the
-- wrong order.
--
-- Arrays hold one element per claim, in and out. The driver has no NULL array elements: text
-- that api_claim takes as NULL comes as '', a missing coordinate as NaN, and in the answer a
-- claim is refused where its refusal is not '' (SQLSTATE TL001: the message and detail api_claim
-- raised), else answered with api_claim's row (outcome, member, points, balance, and a stored
-- status and body where api_claim gave them, and its campaign awards as JSON text), a missing
-- uuid as the nil uuid, a missing number as 0, a missing body as '' and no awards as '[]'. Any other error fails the whole call, which the server then
-- runs again one claim at a time.
CREATE OR REPLACE PROCEDURE api_claim_batch(
    p_api_key uuid[], p_actor text[], p_key text[], p_request_hash bytea[],
    p_invalid_input boolean[], p_channel text[], p_external_id text[], p_phone text[],
    p_kid smallint[], p_serial bigint[],
    p_daily_cap integer, p_time_zone text,
    p_ip text[], p_user_agent text[], p_latitude double precision[], p_longitude double precision[],
    INOUT outcomes text[] DEFAULT NULL, INOUT member_ids uuid[] DEFAULT NULL, INOUT points integer[] DEFAULT NULL,
    INOUT balances bigint[] DEFAULT NULL, INOUT statuses integer[] DEFAULT NULL, INOUT bodies bytea[] DEFAULT NULL,
    INOUT refusals text[] DEFAULT NULL, INOUT details text[] DEFAULT NULL, INOUT awards text[] DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    v_members uuid[];
    v_lock uuid;
    v_answer record;
    v_refusal text;
    v_detail text;
    v_each boolean := false;
BEGIN
    -- The members the batch will credit, locked first and in id order: two batches running side
    -- by side then wait for each other instead of each holding a member the other needs (a
    -- deadlock, broken only after deadlock_timeout). A merge moves the absorbed member's
    -- identities to its survivor, so a member found here is merged away only if merged since
    -- this look-up; lock_member then locks its survivor, later and out of order (a deadlock in
    -- that race is run again by the server). A lone claim skips this (see above).
    IF cardinality(p_key) > 1 THEN
        -- (A semi-join, not a subquery per identity: Citus cannot correlate one with unnest.)
        SELECT array_agg(i.member_id) INTO v_members FROM member_identities i
            WHERE i.external_id = ANY (p_external_id || p_phone)
              AND (i.channel, i.external_id) IN (
                  SELECT c.channel, c.external_id FROM unnest(p_channel, p_external_id) AS c(channel, external_id)
                  UNION ALL
                  SELECT 'phone', c.phone FROM unnest(p_phone) AS c(phone) WHERE c.phone <> '');
    END IF;
    IF v_members IS NOT NULL THEN
        -- One member at a time, in id order: on Citus the members are in several shards, and
        -- a SELECT ... FOR UPDATE may touch only one.
        FOREACH v_lock IN ARRAY ARRAY(SELECT DISTINCT x.id FROM unnest(v_members) AS x(id) ORDER BY x.id) LOOP
            PERFORM FROM members m WHERE m.id = v_lock FOR UPDATE;
        END LOOP;
    END IF;

    outcomes := array_fill(''::text, ARRAY[cardinality(p_key)]);
    member_ids := array_fill('00000000-0000-0000-0000-000000000000'::uuid, ARRAY[cardinality(p_key)]);
    points := array_fill(0, ARRAY[cardinality(p_key)]);
    balances := array_fill(0::bigint, ARRAY[cardinality(p_key)]);
    statuses := array_fill(0, ARRAY[cardinality(p_key)]);
    bodies := array_fill(''::bytea, ARRAY[cardinality(p_key)]);
    refusals := array_fill(''::text, ARRAY[cardinality(p_key)]);
    details := array_fill(''::text, ARRAY[cardinality(p_key)]);
    awards := array_fill('[]'::text, ARRAY[cardinality(p_key)]);
    LOOP
        BEGIN
            FOR n IN 1 .. cardinality(p_key) LOOP
                IF v_each THEN
                    BEGIN
                        SELECT * INTO v_answer FROM api_claim(
                            p_api_key[n], p_actor[n], p_key[n], p_request_hash[n], p_invalid_input[n],
                            nullif(p_channel[n], ''), nullif(p_external_id[n], ''), nullif(p_phone[n], ''),
                            p_kid[n], p_serial[n], p_daily_cap, p_time_zone,
                            nullif(p_ip[n], '')::inet, nullif(p_user_agent[n], ''),
                            nullif(p_latitude[n], 'NaN'), nullif(p_longitude[n], 'NaN'));
                    EXCEPTION WHEN SQLSTATE 'TL001' THEN
                        GET STACKED DIAGNOSTICS v_refusal = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
                        refusals[n] := v_refusal;
                        details[n] := coalesce(v_detail, '');
                        CONTINUE;
                    END;
                ELSE
                    SELECT * INTO v_answer FROM api_claim(
                        p_api_key[n], p_actor[n], p_key[n], p_request_hash[n], p_invalid_input[n],
                        nullif(p_channel[n], ''), nullif(p_external_id[n], ''), nullif(p_phone[n], ''),
                        p_kid[n], p_serial[n], p_daily_cap, p_time_zone,
                        nullif(p_ip[n], '')::inet, nullif(p_user_agent[n], ''),
                        nullif(p_latitude[n], 'NaN'), nullif(p_longitude[n], 'NaN'));
                END IF;
                outcomes[n] := v_answer.outcome;
                member_ids[n] := coalesce(v_answer.member_id, '00000000-0000-0000-0000-000000000000');
                points[n] := coalesce(v_answer.points, 0);
                balances[n] := coalesce(v_answer.balance, 0);
                statuses[n] := coalesce(v_answer.stored_status, 0);
                bodies[n] := coalesce(v_answer.stored_body, ''::bytea);
                awards[n] := coalesce(v_answer.awards, '[]'::jsonb)::text;
            END LOOP;
            EXIT;
        EXCEPTION WHEN SQLSTATE 'TL001' THEN
            -- A refusal rolled back the whole pass: run it again, each claim in its own subtransaction.
            v_each := true;
        END;
    END LOOP;
    COMMIT;
END;
$$;
