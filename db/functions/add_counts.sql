-- Two JSON objects of counts added up, key by key (a merge folds the absorbed member's claim
-- counts into the survivor's).
CREATE OR REPLACE FUNCTION add_counts(p_counts jsonb, p_more jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_key text;
    v_n bigint;
BEGIN
    FOR v_key, v_n IN SELECT c.key, c.value::bigint FROM jsonb_each_text(p_more) c LOOP
        p_counts := add_count(p_counts, v_key, v_n);
    END LOOP;
    RETURN p_counts;
END;
$$;
