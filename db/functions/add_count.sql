-- A JSON object of counts, {"<key>": <count>}, with p_n more under p_key; unchanged when p_key is
-- NULL. One SQL expression, so PostgreSQL inlines it where it is used (a claim's UPDATE of the
-- member in credit_points) instead of calling a function. IMMUTABLE, and built only of
-- immutable parts (jsonb_set, casts), so that it still inlines, and so that Citus may run it
-- on the member's shard (it refuses a STABLE function such as jsonb_build_object there).
CREATE OR REPLACE FUNCTION add_count(p_counts jsonb, p_key text, p_n bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_key IS NULL THEN p_counts
                ELSE jsonb_set(p_counts, ARRAY[p_key], ((coalesce((p_counts ->> p_key)::bigint, 0) + p_n)::text)::jsonb) END
$$;
