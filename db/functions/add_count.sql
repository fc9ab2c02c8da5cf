-- A JSON object of counts, {"<key>": <count>}, with p_n more under p_key; unchanged when p_key is
-- NULL. One SQL expression, so PostgreSQL inlines it where it is used (a claim's UPDATE of the
-- member in credit_points) instead of calling a function; STABLE, as jsonb_build_object is
-- (declared IMMUTABLE, it would not be inlined, and each call would plan its SELECT again).
CREATE OR REPLACE FUNCTION add_count(p_counts jsonb, p_key text, p_n bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_key IS NULL THEN p_counts
                ELSE p_counts || jsonb_build_object(p_key, coalesce((p_counts ->> p_key)::bigint, 0) + p_n) END
$$;
