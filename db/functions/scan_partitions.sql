-- The partitions of scans (db/migrations/0018_scan_partitions.sql) with the range each holds,
-- oldest first; scans_default last, with no range. Read from the catalogue, so a partition is
-- known by its bounds, whatever its name.
CREATE OR REPLACE FUNCTION scan_partitions()
RETURNS TABLE (partition_name text, starts_at timestamptz, ends_at timestamptz) LANGUAGE sql STABLE AS $$
    SELECT c.relname::text, b[1]::timestamptz, b[2]::timestamptz
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
         regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']*)''\) TO \(''([^'']*)''\)') b
    WHERE i.inhparent = 'scans'::regclass
    ORDER BY 2 NULLS LAST, 1
$$;
