-- Writes rollup_repeat_claims for the finished programme days not yet written (a day is finished
-- ten minutes after its midnight, so a claim whose transaction began before it has committed),
-- from the first claim's day, at most p_days of them: the programme jobs call it until it
-- returns 0. The days are computed in one pass (repeat_claims_between).
CREATE OR REPLACE FUNCTION fill_repeat_claims(p_days integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_zone text := (SELECT s.rollup_time_zone FROM programme_settings s);
    v_last date := ((now() - interval '10 minutes') AT TIME ZONE v_zone)::date - 1;
    v_from date;
    v_to date;
    v_rows integer;
BEGIN
    v_from := (SELECT max(r.day) + 1 FROM rollup_repeat_claims r);
    IF v_from IS NULL THEN
        v_from := (SELECT (min(c.claimed_at) AT TIME ZONE v_zone)::date FROM claims c);
    END IF;
    IF v_from IS NULL OR v_from > v_last THEN
        RETURN 0;
    END IF;
    v_to := least(v_last, v_from + p_days - 1);
    INSERT INTO rollup_repeat_claims (day, claimers, repeaters)
    SELECT r.day, r.claimers, r.repeaters FROM repeat_claims_between(v_from, v_to) r
    ON CONFLICT (day) DO NOTHING;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN greatest(v_rows, 1);
END;
$$;
