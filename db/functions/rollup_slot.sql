-- The slot (0..7) this transaction's rollup rows go to (0015_rollups.sql): striped so concurrent
-- writers do not queue on one row. A transaction takes a slot no other running transaction holds
-- (a transaction-level advisory lock, tried from pg_backend_pid() % 8 on) and keeps it to its
-- end (a transaction-local setting), so two writers never update the same rollup row and their
-- rollup writes cannot wait for each other or deadlock, whatever order they come in. With all
-- eight taken (more writers than the server's claim connections), it shares pg_backend_pid() % 8
-- and may wait for that row. A subtransaction rolled back gives its slot back with its lock.
CREATE OR REPLACE FUNCTION rollup_slot() RETURNS smallint LANGUAGE plpgsql AS $$
DECLARE
    v_held text := current_setting('tally.rollup_slot', true);
    v_first integer := pg_backend_pid() % 8;
    v_slot integer;
BEGIN
    IF v_held IS NOT NULL AND v_held <> '' THEN
        RETURN v_held::smallint;
    END IF;
    FOR i IN 0..7 LOOP
        v_slot := (v_first + i) % 8;
        -- 15: this migration's number, as the first key; the slot the second.
        IF pg_try_advisory_xact_lock(15, v_slot) THEN
            PERFORM set_config('tally.rollup_slot', v_slot::text, true);
            RETURN v_slot;
        END IF;
    END LOOP;
    RETURN v_first;
END;
$$;
