-- The great-circle distance in km between two points (haversine, mean Earth radius): how far a
-- scan was from its batch region's centroid, and which province centroid is nearest.
CREATE OR REPLACE FUNCTION km_between(
    p_lat1 double precision, p_lon1 double precision, p_lat2 double precision, p_lon2 double precision
) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 2 * 6371.0088 * asin(sqrt(
        sin(radians(p_lat2 - p_lat1) / 2) ^ 2
        + cos(radians(p_lat1)) * cos(radians(p_lat2)) * sin(radians(p_lon2 - p_lon1) / 2) ^ 2))
$$;
