-- The console's dashboard and regions rollups (issue 18). The dashboard must not slow down as
-- history grows, so it reads these tables, never the raw claims, scans, members or ledger:
--
-- - rollup_days: per programme day, scans (genuine, forged), claims, new members, points
--   issued / redeemed / expired / adjusted out, and the ledger's net change (their running sum is
--   the points liability: the sum of every member's balance, without summing members).
-- - rollup_activity: per day × product × region (the batch's, 'unknown' for none) × channel,
--   scans (genuine, forged) and claims and their points: the cube the Regions page reads.
-- - rollup_products, rollup_channels: per day, claims and points by product and by channel, so
--   the dashboard's top lists read a few rows a day whatever the number of regions.
-- - rollup_scan_places: per day × batch × the province of the consumer's shared location
--   (nearest centroid in provinces), scans and claims, and the farthest such scan from the
--   batch region's centroid: the Regions page's "by consumer location" and its diversion flags.
-- - rollup_repeat_claims: per finished day, the members who claimed in the 90 days ending that
--   day and those with 2 or more claims in them; filled once per finished day by the programme
--   jobs (fill_repeat_claims), not by a trigger (a distinct count is not additive).
--
-- Kept by statement-level AFTER INSERT triggers with transition tables on claims, scans,
-- members and ledger_entries (db/functions/rollup_*.sql): every write path (landing page and API
-- claims, campaigns, adjustments, redemptions and their cancels, expiry, merges, bulk imports)
-- lands in them in its own transaction, exactly once. Rows are striped by a slot
-- (pg_backend_pid() % 8) so concurrent claims do not queue on one row; readers sum the slots.
-- The day is the calendar day in programme_settings.rollup_time_zone (Asia/Shanghai by default,
-- as TALLY_TIME_ZONE, which counts the daily claim cap) of claimed_at / scanned_at / created_at.
-- `tally check` (I10) compares every rollup with a recomputation from the raw tables.

ALTER TABLE programme_settings
    ADD COLUMN rollup_time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
    ADD COLUMN diversion_km integer NOT NULL DEFAULT 500 CHECK (diversion_km BETWEEN 1 AND 10000);
COMMENT ON COLUMN programme_settings.rollup_time_zone IS
    'The time zone whose calendar days the dashboard rollups count in; keep it equal to TALLY_TIME_ZONE. Changing it needs the rollups rebuilt (docs/storage.md, Rollups).';
COMMENT ON COLUMN programme_settings.diversion_km IS
    'A batch scanned farther than this from its region''s centroid is flagged for diversion review on the Regions page.';

-- China's 34 provincial divisions. code: ISO 3166-2:CN without "CN-". The centroid is an
-- approximate geographic centre; a scan's province is the nearest centroid (within
-- max_km of it), an approximation near borders that a dashboard can live with.
CREATE TABLE provinces (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
    name_zh    text NOT NULL UNIQUE,
    short_zh   text NOT NULL UNIQUE,
    name_en    text NOT NULL UNIQUE,
    latitude   double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude  double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    -- Farther than this from its centroid a point is not counted as in the province.
    max_km     integer NOT NULL DEFAULT 1200
);
INSERT INTO provinces (code, name_zh, short_zh, name_en, latitude, longitude) VALUES
    ('BJ', '北京市', '北京', 'Beijing', 40.19, 116.41),
    ('TJ', '天津市', '天津', 'Tianjin', 39.30, 117.32),
    ('HE', '河北省', '河北', 'Hebei', 38.90, 115.50),
    ('SX', '山西省', '山西', 'Shanxi', 37.57, 112.29),
    ('NM', '内蒙古自治区', '内蒙古', 'Inner Mongolia', 44.09, 113.94),
    ('LN', '辽宁省', '辽宁', 'Liaoning', 41.30, 122.60),
    ('JL', '吉林省', '吉林', 'Jilin', 43.67, 126.19),
    ('HL', '黑龙江省', '黑龙江', 'Heilongjiang', 47.86, 127.76),
    ('SH', '上海市', '上海', 'Shanghai', 31.23, 121.47),
    ('JS', '江苏省', '江苏', 'Jiangsu', 32.97, 119.46),
    ('ZJ', '浙江省', '浙江', 'Zhejiang', 29.18, 120.09),
    ('AH', '安徽省', '安徽', 'Anhui', 31.83, 117.23),
    ('FJ', '福建省', '福建', 'Fujian', 26.08, 117.98),
    ('JX', '江西省', '江西', 'Jiangxi', 27.61, 115.72),
    ('SD', '山东省', '山东', 'Shandong', 36.34, 118.15),
    ('HA', '河南省', '河南', 'Henan', 33.88, 113.61),
    ('HB', '湖北省', '湖北', 'Hubei', 30.98, 112.27),
    ('HN', '湖南省', '湖南', 'Hunan', 27.61, 111.71),
    ('GD', '广东省', '广东', 'Guangdong', 23.38, 113.42),
    ('GX', '广西壮族自治区', '广西', 'Guangxi', 23.83, 108.79),
    ('HI', '海南省', '海南', 'Hainan', 19.20, 109.73),
    ('CQ', '重庆市', '重庆', 'Chongqing', 30.06, 107.87),
    ('SC', '四川省', '四川', 'Sichuan', 30.65, 102.69),
    ('GZ', '贵州省', '贵州', 'Guizhou', 26.82, 106.87),
    ('YN', '云南省', '云南', 'Yunnan', 24.97, 101.49),
    ('XZ', '西藏自治区', '西藏', 'Tibet', 31.69, 88.09),
    ('SN', '陕西省', '陕西', 'Shaanxi', 35.19, 108.87),
    ('GS', '甘肃省', '甘肃', 'Gansu', 37.80, 101.50),
    ('QH', '青海省', '青海', 'Qinghai', 35.74, 96.41),
    ('NX', '宁夏回族自治区', '宁夏', 'Ningxia', 37.27, 106.17),
    ('XJ', '新疆维吾尔自治区', '新疆', 'Xinjiang', 41.12, 85.24),
    ('TW', '台湾省', '台湾', 'Taiwan', 23.75, 120.96),
    ('HK', '香港特别行政区', '香港', 'Hong Kong', 22.35, 114.15),
    ('MO', '澳门特别行政区', '澳门', 'Macau', 22.17, 113.55);
COMMENT ON TABLE provinces IS
    'China''s 34 provincial divisions, for the Regions page: a batch region names one by code, Chinese (full or short) or English name (province_of_region); a scan''s location is classed to the nearest centroid (province_at).';

-- No CHECKs or foreign keys on the rollups: the triggers are their only writers (see 0009 on
-- what each costs a claim). fillfactor leaves room for HOT updates of the counters.
CREATE TABLE rollup_days (
    day                  date NOT NULL,
    slot                 smallint NOT NULL,
    scans                bigint NOT NULL DEFAULT 0,
    genuine_scans        bigint NOT NULL DEFAULT 0,
    forged_scans         bigint NOT NULL DEFAULT 0,
    claims               bigint NOT NULL DEFAULT 0,
    new_members          bigint NOT NULL DEFAULT 0,
    points_issued        bigint NOT NULL DEFAULT 0,
    points_redeemed      bigint NOT NULL DEFAULT 0,
    points_expired       bigint NOT NULL DEFAULT 0,
    points_adjusted_out  bigint NOT NULL DEFAULT 0,
    points_net           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, slot)
) WITH (fillfactor = 50);
COMMENT ON TABLE rollup_days IS
    'Per programme day (slots summed): scans (every scan but a claim''s own record, result claimed), genuine (a verified code: kid set), forged (result forged); claims (ledger entries of kind claim); members created; points issued (claim, campaign and positive adjustment entries), redeemed (redemptions less their cancels), expired, adjusted out (negative adjustments), as positive numbers; points_net the sum of every entry that day (merges net to 0), whose running sum is the liability.';

CREATE TABLE rollup_activity (
    day            date NOT NULL,
    product_id     bigint NOT NULL,
    region         text NOT NULL,
    channel        text NOT NULL,
    slot           smallint NOT NULL,
    scans          bigint NOT NULL DEFAULT 0,
    genuine_scans  bigint NOT NULL DEFAULT 0,
    forged_scans   bigint NOT NULL DEFAULT 0,
    claims         bigint NOT NULL DEFAULT 0,
    claim_points   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, product_id, region, channel, slot)
) WITH (fillfactor = 50);
COMMENT ON TABLE rollup_activity IS
    'Per day × product × the batch''s region (''unknown'' for none) × channel: claims (the claim''s channel) and their points; scans (not a claim''s own record) under channel '''' (a scan has none), product 0 and region ''unknown'' when the scan names no known batch.';

CREATE TABLE rollup_products (
    day           date NOT NULL,
    product_id    bigint NOT NULL,
    slot          smallint NOT NULL,
    claims        bigint NOT NULL DEFAULT 0,
    claim_points  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, product_id, slot)
) WITH (fillfactor = 50);
COMMENT ON TABLE rollup_products IS 'rollup_activity''s claims summed over regions and channels.';

CREATE TABLE rollup_channels (
    day           date NOT NULL,
    channel       text NOT NULL,
    slot          smallint NOT NULL,
    claims        bigint NOT NULL DEFAULT 0,
    claim_points  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel, slot)
) WITH (fillfactor = 50);
COMMENT ON TABLE rollup_channels IS 'rollup_activity''s claims summed over products and regions.';

CREATE TABLE rollup_scan_places (
    day       date NOT NULL,
    batch_id  bigint NOT NULL,
    province  text NOT NULL,
    slot      smallint NOT NULL,
    scans     bigint NOT NULL DEFAULT 0,
    claims    bigint NOT NULL DEFAULT 0,
    max_km    double precision,
    PRIMARY KEY (day, batch_id, province, slot)
) WITH (fillfactor = 50);
COMMENT ON TABLE rollup_scan_places IS
    'Scans that shared a location, per day × batch (0: none known) × province of the location (nearest centroid; '''' when none is within its max_km): scans (not a claim''s own record), claims (a claim''s own scan record, result claimed), and the greatest distance in km of such a scan from the centroid of the batch''s region (NULL when the region names no province).';

CREATE TABLE rollup_repeat_claims (
    day        date PRIMARY KEY,
    claimers   bigint NOT NULL,
    repeaters  bigint NOT NULL
);
COMMENT ON TABLE rollup_repeat_claims IS
    'Per finished programme day D: members (claims.member_id, as claimed) with a claim in D-89 .. D, and those with 2 or more; written once per day by the programme jobs (fill_repeat_claims).';

-- The repeat-claim job reads claims by time; claims are inserted in time order, so a BRIN
-- index costs a claim next to nothing.
CREATE INDEX claims_by_time ON claims USING brin (claimed_at);

-- Backfill from what is stored, with the rules of the triggers (db/functions/rollup_*.sql,
-- province_at, province_of_region), written out here because no function exists yet while
-- migrations run. Slot 0 holds it all.
INSERT INTO rollup_days (day, slot, scans, genuine_scans, forged_scans, claims, new_members, points_issued,
                         points_redeemed, points_expired, points_adjusted_out, points_net)
SELECT day, 0, sum(scans), sum(genuine), sum(forged), sum(claims), sum(members), sum(issued), sum(redeemed),
       sum(expired), sum(adjusted_out), sum(net)
FROM (
    SELECT (s.scanned_at AT TIME ZONE z.tz)::date AS day, count(*) AS scans,
           count(*) FILTER (WHERE s.kid IS NOT NULL) AS genuine, count(*) FILTER (WHERE s.result = 'forged') AS forged,
           0 AS claims, 0 AS members, 0 AS issued, 0 AS redeemed, 0 AS expired, 0 AS adjusted_out, 0 AS net
    FROM scans s, (SELECT rollup_time_zone AS tz FROM programme_settings) z WHERE s.result <> 'claimed' GROUP BY 1
    UNION ALL
    SELECT (m.created_at AT TIME ZONE z.tz)::date, 0, 0, 0, 0, count(*), 0, 0, 0, 0, 0
    FROM members m, (SELECT rollup_time_zone AS tz FROM programme_settings) z GROUP BY 1
    UNION ALL
    SELECT (l.created_at AT TIME ZONE z.tz)::date, 0, 0, 0,
           count(*) FILTER (WHERE l.kind = 'claim'), 0,
           coalesce(sum(l.points) FILTER (WHERE l.kind IN ('claim', 'campaign') OR (l.kind = 'adjustment' AND l.points > 0)), 0),
           coalesce(-sum(l.points) FILTER (WHERE l.kind IN ('redemption', 'redemption_cancel')), 0),
           coalesce(-sum(l.points) FILTER (WHERE l.kind = 'expiry'), 0),
           coalesce(-sum(l.points) FILTER (WHERE l.kind = 'adjustment' AND l.points < 0), 0),
           sum(l.points)
    FROM ledger_entries l, (SELECT rollup_time_zone AS tz FROM programme_settings) z GROUP BY 1
) x
GROUP BY day;

INSERT INTO rollup_activity (day, product_id, region, channel, slot, scans, genuine_scans, forged_scans, claims, claim_points)
SELECT day, product_id, region, channel, 0, sum(scans), sum(genuine), sum(forged), sum(claims), sum(points)
FROM (
    SELECT (c.claimed_at AT TIME ZONE z.tz)::date AS day, b.product_id, coalesce(b.region, 'unknown') AS region, c.channel,
           0 AS scans, 0 AS genuine, 0 AS forged, count(*) AS claims, sum(c.points) AS points
    FROM claims c JOIN batches b ON b.id = c.batch_id, (SELECT rollup_time_zone AS tz FROM programme_settings) z
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT (s.scanned_at AT TIME ZONE z.tz)::date, coalesce(b.product_id, 0), coalesce(b.region, 'unknown'), '',
           count(*), count(*) FILTER (WHERE s.kid IS NOT NULL), count(*) FILTER (WHERE s.result = 'forged'), 0, 0
    FROM scans s LEFT JOIN batches b ON b.kid = s.kid AND b.serials @> s.serial,
         (SELECT rollup_time_zone AS tz FROM programme_settings) z
    WHERE s.result <> 'claimed'
    GROUP BY 1, 2, 3
) x
GROUP BY day, product_id, region, channel;

INSERT INTO rollup_products (day, product_id, slot, claims, claim_points)
SELECT day, product_id, 0, sum(claims), sum(claim_points) FROM rollup_activity WHERE claims > 0 GROUP BY day, product_id;
INSERT INTO rollup_channels (day, channel, slot, claims, claim_points)
SELECT day, channel, 0, sum(claims), sum(claim_points) FROM rollup_activity WHERE claims > 0 GROUP BY day, channel;

INSERT INTO rollup_scan_places (day, batch_id, province, slot, scans, claims, max_km)
SELECT (s.scanned_at AT TIME ZONE z.tz)::date, coalesce(b.id, 0), coalesce(p.code, ''), 0,
       count(*) FILTER (WHERE s.result <> 'claimed'), count(*) FILTER (WHERE s.result = 'claimed'),
       max(2 * 6371.0088 * asin(sqrt(
           sin(radians(s.latitude - r.latitude) / 2) ^ 2
           + cos(radians(r.latitude)) * cos(radians(s.latitude)) * sin(radians(s.longitude - r.longitude) / 2) ^ 2)))
FROM scans s
LEFT JOIN batches b ON b.kid = s.kid AND b.serials @> s.serial
LEFT JOIN provinces r ON r.code = upper(b.region) OR r.name_zh = b.region OR r.short_zh = b.region
                      OR lower(r.name_en) = lower(b.region) OR 'CN-' || r.code = upper(b.region)
LEFT JOIN LATERAL (
    SELECT q.code FROM (
        SELECT q.code, q.max_km, 2 * 6371.0088 * asin(sqrt(
                   sin(radians(s.latitude - q.latitude) / 2) ^ 2
                   + cos(radians(q.latitude)) * cos(radians(s.latitude)) * sin(radians(s.longitude - q.longitude) / 2) ^ 2)) AS km
        FROM provinces q) q
    WHERE q.km <= q.max_km ORDER BY q.km, q.code LIMIT 1) p ON true,
(SELECT rollup_time_zone AS tz FROM programme_settings) z
WHERE s.latitude IS NOT NULL AND s.longitude IS NOT NULL
GROUP BY 1, 2, 3;
