-- Scans partitioned by month, and their retention.
--
-- scans grows by billions of rows a year and is read by time (the alerts' windows, the
-- member's first and last scan). It becomes a table partitioned by RANGE (scanned_at): one
-- partition per calendar month in UTC, named scans_YYYY_MM, so that
-- - old scans go by dropping a whole partition (drop_old_scan_partitions, after
--   programme_settings.scan_retention_months), never by DELETE: no dead rows, no vacuum debt;
-- - a claim's scan insert touches one partition and its indexes whatever the history holds
--   (ScanPartitionTests asserts it with 24 months of partitions);
-- - on Citus the table distributes by id (the lead's docs/scale.md): native partitions only,
--   no pg_partman, and nothing references scans by a foreign key.
-- The primary key holds the partition key, as PostgreSQL requires: (id, scanned_at).
--
-- Partitions ahead, and a DEFAULT partition. The programme jobs (ensure_scan_partitions) create
-- the current month and the next two, every TALLY_JOBS_INTERVAL, so a month's partition exists
-- two months before its first scan. Should the jobs not run for that long (every server down
-- but the claim path somehow up, a clock jumped, a job failing for weeks), a scan whose month has
-- no partition would fail its INSERT, and with it the claim that records it: never acceptable.
-- So scans_default takes such rows, and ensure_scan_partitions, when it creates their month,
-- moves them into it (under a lock on scans_default only). Both, not one: partitions ahead keep
-- the default empty (attaching a partition scans the default, and a large default would make
-- that slow), the default keeps claims working when the jobs did not run. A test database copied
-- from a template built in an earlier month relies on it too.
--
-- The move: the old table is renamed, the partitioned one created with the partitions its rows
-- need (their months, plus this month and the next two), the rows copied (OVERRIDING SYSTEM
-- VALUE: ids kept), the identity sequence continued under the same name (scans_id_seq), the
-- old table dropped. The dashboard rollups already count these rows: rollup_scans' trigger is
-- created on the new table by db/functions/rollup_scans.sql, which `tally migrate` applies
-- after this migration, so the copy is not counted twice. The copy takes the time of one pass
-- over scans, under an ACCESS EXCLUSIVE lock: on a large table, plan the upgrade's window.

ALTER TABLE scans RENAME TO scans_unpartitioned;
ALTER TABLE scans_unpartitioned RENAME CONSTRAINT scans_pkey TO scans_unpartitioned_pkey;
ALTER SEQUENCE scans_id_seq RENAME TO scans_unpartitioned_id_seq;
DROP INDEX scans_by_code, scans_by_time, scans_by_member, scans_for_alerts;

-- As 0001 made it (0009 dropped the length and degree checks: the writers cut and filter).
CREATE TABLE scans (
    id           bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME scans_id_seq),
    scanned_at   timestamptz NOT NULL DEFAULT now(),
    result       text NOT NULL,
    kid          smallint,
    serial       bigint,
    input        text,
    member_id    uuid,
    ip           inet,
    user_agent   text,
    latitude     double precision,
    longitude    double precision,
    accuracy_m   real,
    PRIMARY KEY (id, scanned_at)
) PARTITION BY RANGE (scanned_at);
COMMENT ON TABLE scans IS
    'Every scan of the landing page or API check, genuine or not. Partitioned by month of scanned_at in UTC (scans_YYYY_MM; scans_default takes a month without one until ensure_scan_partitions moves it out); months older than programme_settings.scan_retention_months are dropped whole by drop_old_scan_partitions.';
COMMENT ON COLUMN scans.input IS 'At most 200 characters (cut by the writer).';
COMMENT ON COLUMN scans.user_agent IS 'At most 500 characters (cut by the writer).';
COMMENT ON COLUMN scans.latitude IS 'Degrees, -90 to 90 (the server drops others).';
COMMENT ON COLUMN scans.longitude IS 'Degrees, -180 to 180 (the server drops others).';

-- The months of the stored scans, this month and the next two; then the default. Bounds are
-- written with their UTC offset, so the session's time zone and date style do not matter.
DO $$
DECLARE
    v_month timestamp;
BEGIN
    FOR v_month IN
        SELECT DISTINCT date_trunc('month', scanned_at AT TIME ZONE 'UTC') FROM scans_unpartitioned
        UNION
        SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
                               date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months', interval '1 month')
        ORDER BY 1
    LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF scans FOR VALUES FROM (%L) TO (%L)',
                       'scans_' || to_char(v_month, 'YYYY_MM'), to_char(v_month, 'YYYY-MM-DD') || ' 00:00:00+00',
                       to_char(v_month + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
    END LOOP;
END;
$$;
CREATE TABLE scans_default PARTITION OF scans DEFAULT;

INSERT INTO scans OVERRIDING SYSTEM VALUE SELECT * FROM scans_unpartitioned;
SELECT setval('scans_id_seq', last_value, is_called) FROM scans_unpartitioned_id_seq;
DROP TABLE scans_unpartitioned;

-- The indexes of 0001, 0004 and 0016, on the parent: every partition gets its own.
CREATE INDEX scans_by_code ON scans (kid, serial) WHERE serial IS NOT NULL;
CREATE INDEX scans_by_time ON scans USING brin (scanned_at);
-- A member's first and last scans for the CRM profile; only scans by a known member are indexed.
CREATE INDEX scans_by_member ON scans (member_id, scanned_at) WHERE member_id IS NOT NULL;
-- The alerts' forged scans and copied codes (0016_alerts.sql); a claim's own scan is not in it.
CREATE INDEX scans_for_alerts ON scans (result, scanned_at) WHERE result IN ('forged', 'claimed_by_other');

-- Retention: whole calendar months kept before the current one (0: every scan is kept). With
-- 24, on any day of December 2026 the oldest month kept is December 2024: a scan is kept at
-- least 24 months and at most 25. The rollups (the dashboard's and the members' first and last
-- scan) keep counting what was dropped; `tally check` compares them with the raw scans only
-- from scans_dropped_before on (I7, I10).
ALTER TABLE programme_settings
    ADD COLUMN scan_retention_months integer NOT NULL DEFAULT 24 CHECK (scan_retention_months BETWEEN 0 AND 120),
    ADD COLUMN scans_dropped_before timestamptz;
COMMENT ON COLUMN programme_settings.scan_retention_months IS
    'Whole calendar months (UTC) of scans kept before the current month; older monthly partitions are dropped by the programme jobs. 0: scans are kept forever.';
COMMENT ON COLUMN programme_settings.scans_dropped_before IS
    'Set by drop_old_scan_partitions: scans before this moment may have been dropped (NULL: none were). tally check trusts the rollups for that time.';
