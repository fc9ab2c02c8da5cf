-- Scans keyed by their code, for Citus (issue 19): a claim writes its own scan, and on Citus
-- that scan must be stored where the claim is (the code's shard), or a claim would need one
-- worker more than its member's, its code's and its identity's, and fail while that one is down
-- (docs/scale.md, "When a worker stops"). So scans get code_key, the code's serial, and
-- db/citus/distribution.sql distributes scans by it, co-located with claims (by serial).
--
-- Citus refuses a NULL shard key, and a scan of no code (forged, mistyped) has no serial: such a
-- scan takes the column's default, a random number in the serials' range (40 bits), which spreads
-- them over the shards. The writers that know the code give its serial (claim_code, ScanStore).
-- On plain PostgreSQL the column is 8 bytes a scan, and nothing reads it.
--
-- The stored scans get their serial, or their id when they have none: one pass over scans.
ALTER TABLE scans ADD COLUMN code_key bigint;
UPDATE scans SET code_key = coalesce(serial, id);
ALTER TABLE scans ALTER COLUMN code_key SET DEFAULT (random() * 1099511627776)::bigint,
                  ALTER COLUMN code_key SET NOT NULL;
COMMENT ON COLUMN scans.code_key IS
    'The shard key on Citus: the code''s serial (so that a claim''s scan is stored with its claim), or a random number in the serials'' range for a scan of no code.';
