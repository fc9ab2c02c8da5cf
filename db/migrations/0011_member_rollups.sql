-- Per-member rollups (issue 16): a member's profile read aggregated the member's claims (joined
-- to batches and products), scans and points lots on every call, a cost that grew with the
-- member's history. The write path now keeps what the profile shows, and the profile reads a
-- bounded number of rows:
--
-- - on members: claims by channel, by region (the batch's, 'unknown' when it has none) and by
--   product, and the first and last scan. A claim adds to them in the UPDATE of the member that
--   credit_points makes anyway (no statement of their own); a scan recorded by the server's
--   ScanRecorder through note_scans; a merge folds the absorbed member's into the survivor's.
-- - member_points_expiring: what the member's lots have left, by the (UTC) day they expire, so
--   that "points expiring within N days" sums at most N + 1 days of rows and the lots of one
--   day (points_expiring). credit_points adds a new lot's points in the statement that inserts
--   it; every UPDATE of lots (debits, cancellations, expiry, merges) moves them through the
--   statement trigger of point_lots_expiring.
--
-- As before, a survivor's rollups include the history of every member merged into it, and a
-- merged-away member keeps none. Locks: every writer holds the member's row lock (lock_member,
-- or a merge's locks on both members), so concurrent claims of one member add up.
-- `tally check` (I7) compares every rollup with a recomputation from claims, scans and lots.

-- Counts as JSON objects, {"<key>": <claims>}: product keys are product ids (the name is read
-- from products, so a renamed product shows its new name, as before).
ALTER TABLE members
    ADD COLUMN claims_by_channel jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN claims_by_region jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN claims_by_product jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN first_scan_at timestamptz,
    ADD COLUMN last_scan_at timestamptz;
COMMENT ON COLUMN members.claims_by_channel IS
    'Claims by channel, {"web": 3}: this member''s and those of the members merged into it; {} once merged away.';
COMMENT ON COLUMN members.claims_by_region IS
    'Claims by the region of the code''s batch (''unknown'' for none), as claims_by_channel.';
COMMENT ON COLUMN members.claims_by_product IS
    'Claims by product id (as text), as claims_by_channel.';
COMMENT ON COLUMN members.first_scan_at IS
    'The earliest scan by this member or one merged into it (scans.member_id); NULL once merged away.';
COMMENT ON COLUMN members.last_scan_at IS 'The latest such scan.';

-- The day a lot expires, in UTC: the key of member_points_expiring, defined once, here.
ALTER TABLE point_lots ADD COLUMN expires_on date GENERATED ALWAYS AS ((expires_at AT TIME ZONE 'UTC')::date) STORED;

-- No foreign key and no CHECK: they cost a claim a lookup and a planned expression each (see
-- 0009), and the rows' only writers (credit_points and the trigger of point_lots_expiring,
-- under the member's lock) keep them: a member's row, points > 0 (a row that reaches 0 goes).
CREATE TABLE member_points_expiring (
    member_id   uuid NOT NULL,
    expires_on  date NOT NULL,
    points      bigint NOT NULL,
    PRIMARY KEY (member_id, expires_on)
);
COMMENT ON TABLE member_points_expiring IS
    'sum(remaining) of each member''s lots with remaining > 0, by point_lots.expires_on (lots that never expire: none).';
COMMENT ON COLUMN member_points_expiring.member_id IS 'A member (written under its lock).';
COMMENT ON COLUMN member_points_expiring.points IS 'Greater than 0: a row whose lots have nothing left is deleted.';

-- Backfill from what is stored. Claims and scans belong to the member they name, or to the
-- member it was merged into (merged_into always names the last survivor).
UPDATE members m SET claims_by_channel = x.counts
FROM (SELECT member_id, jsonb_object_agg(channel, n) AS counts FROM (
          SELECT coalesce(o.merged_into, o.id) AS member_id, c.channel, count(*) AS n
          FROM claims c JOIN members o ON o.id = c.member_id GROUP BY 1, 2) y
      GROUP BY member_id) x
WHERE m.id = x.member_id;

UPDATE members m SET claims_by_region = x.counts
FROM (SELECT member_id, jsonb_object_agg(region, n) AS counts FROM (
          SELECT coalesce(o.merged_into, o.id) AS member_id, coalesce(b.region, 'unknown') AS region, count(*) AS n
          FROM claims c JOIN members o ON o.id = c.member_id JOIN batches b ON b.id = c.batch_id GROUP BY 1, 2) y
      GROUP BY member_id) x
WHERE m.id = x.member_id;

UPDATE members m SET claims_by_product = x.counts
FROM (SELECT member_id, jsonb_object_agg(product_id::text, n) AS counts FROM (
          SELECT coalesce(o.merged_into, o.id) AS member_id, b.product_id, count(*) AS n
          FROM claims c JOIN members o ON o.id = c.member_id JOIN batches b ON b.id = c.batch_id GROUP BY 1, 2) y
      GROUP BY member_id) x
WHERE m.id = x.member_id;

UPDATE members m SET first_scan_at = x.first, last_scan_at = x.last
FROM (SELECT coalesce(o.merged_into, o.id) AS member_id, min(s.scanned_at) AS first, max(s.scanned_at) AS last
      FROM scans s JOIN members o ON o.id = s.member_id GROUP BY 1) x
WHERE m.id = x.member_id;

INSERT INTO member_points_expiring (member_id, expires_on, points)
SELECT member_id, expires_on, sum(remaining) FROM point_lots
WHERE remaining > 0 AND expires_on IS NOT NULL
GROUP BY member_id, expires_on;

-- DROP FUNCTION: credit_points takes the claim's channel, region, product and scan time, which
-- go into the member's rollups (CREATE OR REPLACE cannot add parameters); db/functions creates
-- the new one right after, in the same transaction.
DROP FUNCTION IF EXISTS credit_points(uuid, bigint, text, text, integer, text, text, smallint, bigint, bigint);
