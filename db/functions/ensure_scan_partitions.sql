-- Creates the monthly partitions of scans (scans_YYYY_MM: a calendar month in UTC) that are
-- missing: this month and the next p_months_ahead, and every month with rows in scans_default
-- (scans that found no partition: the jobs had not run), whose rows it moves into the new
-- partition. Returns each partition created and the rows it moved; nothing when all exist.
--
-- Run by the programme jobs (ProgrammeJobs), from every server: one run at a time (an advisory
-- lock held to the end of the transaction; a run that finds it taken returns at once with
-- nothing, since the run holding it does the work), and a month already covered is left as it
-- is, so running it again, or at once elsewhere, does nothing more. Never blocks a claim: the new
-- partition is made as a table of its own, filled, and attached (ATTACH takes SHARE UPDATE
-- EXCLUSIVE on scans, which inserts do not wait for); only scans_default is locked exclusively,
-- so that no row reaches it between the move and the attach. lock_timeout: a run that cannot
-- have its locks within a second fails and the next run tries again, rather than queue.
CREATE OR REPLACE FUNCTION ensure_scan_partitions(p_months_ahead integer DEFAULT 2)
RETURNS TABLE (partition_name text, rows_moved bigint) LANGUAGE plpgsql SET lock_timeout = '1s' AS $$
DECLARE
    v_months timestamp[]; -- each month's first instant, as UTC wall time
    v_month timestamp;
    v_from text;
    v_to text;
BEGIN
    IF p_months_ahead IS NULL OR p_months_ahead NOT BETWEEN 0 AND 12 THEN
        RAISE EXCEPTION 'ensure_scan_partitions: months ahead is 0 to 12, not %', p_months_ahead
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- "tally_p" in ASCII: scan partitions. Tried, not waited for: runs queued on it would each
    -- wait out lock_timeout behind the one at work and fail.
    IF NOT pg_try_advisory_xact_lock(32758215602691952) THEN
        RETURN;
    END IF;
    -- Read before the loop: scans_default must not be open in this session when it is altered.
    v_months := ARRAY(
        SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
                               date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => p_months_ahead),
                               interval '1 month')
        UNION
        SELECT DISTINCT date_trunc('month', d.scanned_at AT TIME ZONE 'UTC') FROM scans_default d
        ORDER BY 1);
    FOREACH v_month IN ARRAY v_months LOOP
        CONTINUE WHEN EXISTS (
            SELECT 1 FROM scan_partitions() p
            WHERE (v_month AT TIME ZONE 'UTC') >= p.starts_at AND (v_month AT TIME ZONE 'UTC') < p.ends_at);
        partition_name := 'scans_' || to_char(v_month, 'YYYY_MM');
        v_from := to_char(v_month, 'YYYY-MM-DD') || ' 00:00:00+00';
        v_to := to_char(v_month + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00';
        LOCK TABLE scans_default IN ACCESS EXCLUSIVE MODE;
        EXECUTE format('CREATE TABLE %I (LIKE scans INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition_name);
        -- Two plain statements, not a DELETE … RETURNING in a CTE (which Citus does not take on
        -- distributed tables): nothing else writes scans_default while it is locked.
        EXECUTE format('INSERT INTO %I SELECT * FROM scans_default WHERE scanned_at >= %L AND scanned_at < %L',
                       partition_name, v_from, v_to);
        GET DIAGNOSTICS rows_moved = ROW_COUNT;
        EXECUTE format('DELETE FROM scans_default WHERE scanned_at >= %L AND scanned_at < %L', v_from, v_to);
        EXECUTE format('ALTER TABLE scans ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', partition_name, v_from, v_to);
        RETURN NEXT;
    END LOOP;
END;
$$;
