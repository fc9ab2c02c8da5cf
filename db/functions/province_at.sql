-- The province (provinces.code) whose centroid is nearest to a shared location, or '' when none
-- is within its max_km (abroad, or no location): the consumer's side of the Regions page. An
-- approximation near borders, which a dashboard can live with; ties go to the smaller code.
CREATE OR REPLACE FUNCTION province_at(p_latitude double precision, p_longitude double precision)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT q.code FROM (
            SELECT p.code, p.max_km, km_between(p_latitude, p_longitude, p.latitude, p.longitude) AS km FROM provinces p) q
        WHERE q.km <= q.max_km ORDER BY q.km, q.code LIMIT 1), '')
$$;
