-- The rows of a dashboard rollup table (0015_rollups.sql: rollup_days, rollup_activity,
-- rollup_products, rollup_channels, rollup_scan_places) for the days p_from to p_to (both
-- included; NULL: no bound), as to_jsonb of each row; a reader turns them back with
-- jsonb_populate_record(NULL::the_table, row) and sums the slots as before.
--
-- Why: on Citus the triggers that keep these tables run on the node storing the rows, and each
-- node keeps its own counts in its own copy (db/citus/distribution.sql), so a reader must add up
-- every node's. Here they are gathered: this node's by a plain query, each worker's by
-- run_command_on_workers (a connection of its own, outside this transaction: a read, as of now);
-- an unreachable worker is an error, not a smaller count. On plain PostgreSQL (no citus
-- extension) the local rows only.
-- STABLE: it reads the rollups in the snapshot of the statement that calls it, so a check that
-- compares them with the raw tables in one statement sees both at one instant.
CREATE OR REPLACE FUNCTION rollup_rows(p_table text, p_from date, p_to date) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_query text;
    v_node record;
BEGIN
    IF p_table IS NULL OR p_table NOT IN ('rollup_days', 'rollup_activity', 'rollup_products', 'rollup_channels', 'rollup_scan_places') THEN
        RAISE EXCEPTION 'rollup_rows: % is not a rollup table', coalesce(p_table, 'NULL') USING ERRCODE = '22023';
    END IF;
    v_query := format('SELECT to_jsonb(r) FROM %I r WHERE (%L::date IS NULL OR r.day >= %L::date) AND (%L::date IS NULL OR r.day <= %L::date)',
                      p_table, p_from, p_from, p_to, p_to);
    RETURN QUERY EXECUTE v_query;
    IF NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'citus') THEN
        RETURN;
    END IF;
    FOR v_node IN
        SELECT w.nodename, w.nodeport, w.success, w.result
        FROM run_command_on_workers(format('SELECT coalesce(json_agg(q.j), ''[]'') FROM (%s) q(j)', v_query)) w
    LOOP
        IF NOT v_node.success THEN
            RAISE EXCEPTION 'rollup_rows: cannot read % from %:%: %', p_table, v_node.nodename, v_node.nodeport, v_node.result
                USING ERRCODE = '08006';
        END IF;
        RETURN QUERY SELECT e FROM jsonb_array_elements(v_node.result::jsonb) e;
    END LOOP;
END;
$$;
