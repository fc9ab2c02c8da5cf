-- ops/bench-dashboard's data: :n claims over the 730 days ending now, in bulk (generate_series),
-- on a migrated database. 20 products, 200 batches (each with a province of its own region, every
-- fifth with none), :n / 10 members, one ledger entry per claim, one scan record per claim (a
-- fifth with a shared location, a tenth of those far from the batch's region), a landing-page scan
-- for every fourth claim, a forged scan for every thousandth. The rollups are built by their own
-- triggers, a month of history per statement; the row-level event triggers and the foreign keys'
-- checks (the data is valid by construction) are off while loading, so this takes minutes.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';
ALTER TABLE members DISABLE TRIGGER ALL;
ALTER TABLE ledger_entries DISABLE TRIGGER ALL;
ALTER TABLE claims DISABLE TRIGGER ALL;
ALTER TABLE scans DISABLE TRIGGER ALL;
ALTER TABLE members ENABLE TRIGGER rollup_members;
ALTER TABLE ledger_entries ENABLE TRIGGER rollup_ledger;
ALTER TABLE claims ENABLE TRIGGER rollup_claims;
ALTER TABLE scans ENABLE TRIGGER rollup_scans;

INSERT INTO products (sku, name, default_points)
SELECT 'BENCH-' || lpad(p::text, 2, '0'), 'Bench product ' || p, 10 FROM generate_series(1, 20) p;
INSERT INTO batches (product_id, kid, first_serial, quantity, points_per_code, region, created_at)
SELECT (b - 1) % 20 + 1, 1, (b - 1)::int8 * 1000000, 1000000, 10,
       CASE WHEN b % 5 = 0 THEN NULL ELSE (SELECT short_zh FROM provinces ORDER BY code OFFSET (b % 34) LIMIT 1) END,
       now() - interval '731 days'
FROM generate_series(1, 200) b;
INSERT INTO batch_state_changes (batch_id, kid, serials, state, created_at)
SELECT id, kid, serials, 'active', created_at FROM batches;

-- Members: created over the two years, in order.
CREATE TEMP TABLE bench AS
SELECT (:n)::int8 AS n, greatest((:n)::int8 / 10, 1) AS members, now() - interval '730 days' AS start;
-- Member m's id grows with m, and claim g is member g % members's: each statement's index
-- entries go in key order (a sweep), not at random places in indexes far larger than memory.
INSERT INTO members (id, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(m), 12, '0'))::uuid, b.start + (m::float8 / b.members) * interval '730 days'
FROM bench b, generate_series(0, (SELECT members - 1 FROM bench)) m;

-- Claim g (0 .. n-1), in time order: batch g % 200, serial the batch's next, member g % members
-- (each claims every 73 days).
CREATE TEMP TABLE months AS
SELECT k, (SELECT n FROM bench) * k / 24 AS first, (SELECT n FROM bench) * (k + 1) / 24 AS last FROM generate_series(0, 23) k;
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM months ORDER BY k LOOP
        CREATE TEMP TABLE chunk ON COMMIT DROP AS
        SELECT g, ('00000000-0000-4000-8000-' || lpad(to_hex(g % b.members), 12, '0'))::uuid AS member_id, (g % 200) + 1 AS batch_id,
               ((g % 200))::int8 * 1000000 + g / 200 AS serial,
               b.start + (g::float8 / b.n) * interval '730 days' AS at,
               (ARRAY['web', 'tmall', 'jd', 'wechat', 'offline'])[(g / 7) % 5 + 1] AS channel
        FROM bench b, generate_series(r.first, r.last - 1) g
        ORDER BY member_id, g;
        INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, kid, serial, created_at)
            OVERRIDING SYSTEM VALUE
        SELECT member_id, g + 1, 'claim', 10, 10, 1, serial, at FROM chunk;
        INSERT INTO claims (kid, serial, batch_id, member_id, ledger_entry_id, points, channel, claimed_at)
        SELECT 1, serial, batch_id, member_id, g + 1, 10, channel, at FROM chunk;
        -- Scans: the claim's own record (a fifth located: near the region's centroid, or for one
        -- in ten of those in Xinjiang), a landing-page scan for every fourth claim, a forged one
        -- for every thousandth.
        INSERT INTO scans (scanned_at, result, kid, serial, member_id, latitude, longitude)
        SELECT c.at, 'claimed', 1, c.serial, c.member_id,
               CASE WHEN c.g % 5 = 0 THEN CASE WHEN c.g % 50 = 0 THEN 43.8 ELSE coalesce(p.latitude, 31.2) + (c.g % 7) * 0.1 END END,
               CASE WHEN c.g % 5 = 0 THEN CASE WHEN c.g % 50 = 0 THEN 87.6 ELSE coalesce(p.longitude, 121.5) - (c.g % 3) * 0.1 END END
        FROM chunk c JOIN batches bt ON bt.id = c.batch_id LEFT JOIN provinces p ON p.short_zh = bt.region
        UNION ALL
        SELECT c.at - interval '1 minute', 'claimable', 1, c.serial, NULL, NULL, NULL FROM chunk c WHERE c.g % 4 = 0
        UNION ALL
        SELECT c.at, 'forged', NULL, NULL, NULL, NULL, NULL FROM chunk c WHERE c.g % 1000 = 0;
        DROP TABLE chunk;
        RAISE NOTICE 'month % of 24: claims % .. %', r.k + 1, r.first, r.last - 1;
    END LOOP;
END;
$$;
ALTER TABLE members ENABLE TRIGGER ALL;
ALTER TABLE ledger_entries ENABLE TRIGGER ALL;
ALTER TABLE claims ENABLE TRIGGER ALL;
ALTER TABLE scans ENABLE TRIGGER ALL;
SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), (SELECT n + 1 FROM bench));
