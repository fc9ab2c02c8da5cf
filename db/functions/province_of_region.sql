-- The province a batch's region names: its code (BJ, or CN-BJ, any case), its Chinese name, full
-- or short (北京市, 北京), or its English name (any case). NULL when the region names none.
CREATE OR REPLACE FUNCTION province_of_region(p_region text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p.code FROM provinces p
    WHERE p.code = upper(p_region) OR 'CN-' || p.code = upper(p_region) OR p.name_zh = p_region
       OR p.short_zh = p_region OR lower(p.name_en) = lower(p_region)
    LIMIT 1
$$;
