-- Drops the monthly partitions of scans that ended before the retention: whole calendar months
-- (UTC) of programme_settings.scan_retention_months kept before the current one (0: none is
-- dropped). With 24, on any day of December 2026 the partitions up to November 2024 go. Whole
-- partitions only, never a DELETE: scans_default is never dropped (ensure_scan_partitions, run
-- first by the jobs, moves its rows into their months, which this then drops when they are old).
-- Returns each partition dropped and the end of its range, and records the latest end in
-- programme_settings.scans_dropped_before, from which `tally check` compares the rollups with
-- the raw scans.
--
-- The advisory lock of ensure_scan_partitions: one run at a time, and a run that finds it taken
-- returns at once with nothing (the run holding it does the work). DROP TABLE of a partition
-- takes ACCESS EXCLUSIVE on scans for a moment, and inserts queue behind it while it waits for
-- the transactions reading scans to end: lock_timeout keeps that wait under a second (the run
-- then fails, and the next one tries again).
CREATE OR REPLACE FUNCTION drop_old_scan_partitions()
RETURNS TABLE (partition_name text, ends_at timestamptz) LANGUAGE plpgsql SET lock_timeout = '1s' AS $$
DECLARE
    v_months integer := (SELECT s.scan_retention_months FROM programme_settings s);
    v_keep_from timestamptz;
    v_dropped_before timestamptz;
BEGIN
    IF v_months = 0 THEN
        RETURN;
    END IF;
    v_keep_from := (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => v_months)) AT TIME ZONE 'UTC';
    IF NOT pg_try_advisory_xact_lock(32758215602691952) THEN -- "tally_p": ensure_scan_partitions's
        RETURN;
    END IF;
    FOR partition_name, ends_at IN
        SELECT p.partition_name, p.ends_at FROM scan_partitions() p WHERE p.ends_at <= v_keep_from ORDER BY p.ends_at
    LOOP
        EXECUTE format('DROP TABLE %I', partition_name);
        v_dropped_before := ends_at;
        RETURN NEXT;
    END LOOP;
    IF v_dropped_before IS NOT NULL THEN
        UPDATE programme_settings s SET scans_dropped_before = greatest(s.scans_dropped_before, v_dropped_before);
    END IF;
END;
$$;
