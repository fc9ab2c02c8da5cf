-- Replays the claims of the last p_days days (claimed_at in [now − p_days days, now), in
-- claimed_at order) against a campaign's current version as if it alone had been live then,
-- and returns what it would have done per local day (the campaign's time zone), from the day
-- of the first instant to today, days without claims included. Writes nothing.
--
-- Each claim is decided as apply_campaigns decides, with the same functions for the conditions
-- (campaign_conditions_hold), the ticket (campaign_ticket) and the prize (campaign_prize); the
-- state apply_campaigns keeps in tables is kept here in variables, starting empty at the
-- backtest's start: awards per member, per-member points per day, week and campaign, the
-- abuse-limit counts, and the total budgets and prize stocks (starting from the campaign's
-- budget totals, campaign_budgets.total). What history does not know:
--   - the window, the state and the other campaigns (exclusivity, priority) are ignored;
--   - tier: the member's tier now (the history of tiers is not kept);
--   - devices: a claim's device cookie is not stored, so awards_per_device_per_day is not applied;
--   - the address: the IP of the claim's scan (scans: same code, result 'claimed'), when there is one;
--   - a voucher's or prize's catalogue reward stock is not simulated (only the campaign's own budgets).
-- A member is the member now (merged members count under their survivor); their claim ordinals
-- (overall and per product) and previous claim are counted over the whole claims table; the nth
-- claim within the campaign is counted from the backtest's start.
--
-- Per day: claims replayed, matched (a campaign_awards row would be written), awards, points,
-- members_reached (distinct members awarded that day), first_reached (members awarded for the
-- first time in the backtest that day: their sum is the members reached overall), refused_total
-- (awards refused for a total budget or a prize's stock), the total budgets left at the day's end
-- (NULL: unlimited), and per prize {"key": {"awarded": n, "left": units or null}}.
CREATE OR REPLACE FUNCTION backtest_campaign(p_campaign bigint, p_days integer)
RETURNS TABLE (
    day date, claims bigint, matched bigint, awards bigint, points bigint, members_reached bigint,
    first_reached bigint, refused_total bigint, points_budget_left bigint, awards_budget_left bigint, prizes jsonb
) LANGUAGE plpgsql STABLE AS $$
DECLARE
    v campaign_versions%ROWTYPE;
    v_secret bytea;
    v_from timestamptz := now() - make_interval(days => p_days);
    v_to timestamptz := now();
    v_first date;
    v_days integer;
    v_points_total bigint;
    v_awards_total bigint;
    v_points_left bigint;
    v_awards_left bigint;
    v_keys text[];
    v_stock bigint[];
    v_left bigint[];
    -- Per day (index 1 = the first day): the figures, and per prize (flat, day × prize) its awards.
    d_claims bigint[];
    d_matched bigint[];
    d_awards bigint[];
    d_points bigint[];
    d_members bigint[];
    d_first bigint[];
    d_refused bigint[];
    d_won bigint[];
    -- Per member (by its slot in this replay): awards, points, the day and its points and awards,
    -- the week and its points, claims since the start, the last day it was awarded.
    m_awards bigint[] := '{}';
    m_points bigint[] := '{}';
    m_day date[] := '{}';
    m_day_points bigint[] := '{}';
    m_day_awards bigint[] := '{}';
    m_week date[] := '{}';
    m_week_points bigint[] := '{}';
    m_within bigint[] := '{}';
    m_reached date[] := '{}';
    -- Per address (by its slot): the day and its awards.
    a_day date[] := '{}';
    a_awards bigint[] := '{}';
    r record;
    v_outcome text;
    v_points bigint;
    v_prize integer;
    v_ticket integer;
    v_key text;
    v_i integer;
    v_local timestamp;
    v_today date;
    v_week date;
    v_cum_points bigint := 0;
    v_cum_awards bigint := 0;
    v_cum_won bigint[];
    v_prizes jsonb;
BEGIN
    SELECT cv.* INTO v FROM campaigns c JOIN campaign_versions cv ON cv.campaign_id = c.id AND cv.version = c.version
        WHERE c.id = p_campaign;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT c.secret INTO v_secret FROM campaigns c WHERE c.id = p_campaign;
    -- The totals, as take_campaign_budget reads them: a budget without a row is unlimited (NULL).
    IF v.budget_points IS NOT NULL THEN
        v_points_total := (SELECT b.total FROM campaign_budgets b WHERE b.campaign_id = p_campaign AND b.budget = 'points');
    END IF;
    IF v.budget_awards IS NOT NULL THEN
        v_awards_total := (SELECT b.total FROM campaign_budgets b WHERE b.campaign_id = p_campaign AND b.budget = 'awards');
    END IF;
    v_points_left := v_points_total;
    v_awards_left := v_awards_total;
    SELECT coalesce(array_agg(p.key ORDER BY p.position), '{}'), coalesce(array_agg(b.total ORDER BY p.position), '{}')
        INTO v_keys, v_stock
        FROM campaign_prizes p
        LEFT JOIN campaign_budgets b ON b.campaign_id = p.campaign_id AND b.budget = 'prize:' || p.key
        WHERE p.campaign_id = p_campaign AND p.version = v.version;
    v_left := v_stock;

    v_first := (v_from AT TIME ZONE v.time_zone)::date;
    v_days := (v_to AT TIME ZONE v.time_zone)::date - v_first + 1;
    d_claims := array_fill(0::bigint, ARRAY[v_days]);
    d_matched := d_claims;
    d_awards := d_claims;
    d_points := d_claims;
    d_members := d_claims;
    d_first := d_claims;
    d_refused := d_claims;
    d_won := array_fill(0::bigint, ARRAY[greatest(v_days * cardinality(v_keys), 1)]);

    -- Each MATERIALIZED part reads one table that Citus keeps on its own key (claims by serial,
    -- members by id, identities by their key, scans by id): the replay joins their results.
    FOR r IN
        WITH claimants AS MATERIALIZED (
            SELECT DISTINCT c.member_id FROM claims c WHERE c.claimed_at >= v_from AND c.claimed_at < v_to),
        reached AS MATERIALIZED (
            SELECT DISTINCT coalesce(m.merged_into, m.id) AS member FROM members m
            WHERE m.id IN (SELECT k.member_id FROM claimants k)),
        tiers AS MATERIALIZED (
            SELECT t.id AS member, t.tier FROM members t WHERE t.id IN (SELECT x.member FROM reached x)),
        owners AS MATERIALIZED (
            SELECT m.id, coalesce(m.merged_into, m.id) AS member
            FROM members m WHERE coalesce(m.merged_into, m.id) IN (SELECT x.member FROM reached x)),
        claimed AS MATERIALIZED (
            SELECT c.kid, c.serial, c.claimed_at, c.channel, c.points AS base, c.batch_id, b.product_id,
                   coalesce(b.region, 'unknown') AS region, o.member
            FROM claims c JOIN owners o ON o.id = c.member_id JOIN batches b ON b.id = c.batch_id),
        phones AS MATERIALIZED (
            SELECT DISTINCT i.member_id FROM member_identities i
            WHERE i.channel = 'phone' AND i.member_id IN (SELECT x.member FROM reached x)),
        addresses AS MATERIALIZED (
            SELECT s.kid, s.serial, s.id, s.ip FROM scans s
            WHERE s.result = 'claimed' AND s.ip IS NOT NULL
              AND (s.kid, s.serial) IN (SELECT h.kid, h.serial FROM claimed h WHERE h.claimed_at >= v_from AND h.claimed_at < v_to)),
        history AS (
            SELECT h.*,
                   count(*) OVER (PARTITION BY h.member ORDER BY h.claimed_at, h.kid, h.serial) AS ordinal,
                   count(*) OVER (PARTITION BY h.member, h.product_id ORDER BY h.claimed_at, h.kid, h.serial) AS product_ordinal,
                   lag(h.claimed_at) OVER (PARTITION BY h.member ORDER BY h.claimed_at, h.kid, h.serial) AS previous
            FROM claimed h)
        SELECT h.*, x.tier, EXISTS (SELECT 1 FROM phones p WHERE p.member_id = h.member) AS has_phone,
               s.ip, dense_rank() OVER (ORDER BY h.member) AS slot, dense_rank() OVER (ORDER BY s.ip) AS ip_slot
        FROM history h
        JOIN tiers x ON x.member = h.member
        LEFT JOIN LATERAL (
            SELECT s.ip FROM addresses s WHERE s.kid = h.kid AND s.serial = h.serial ORDER BY s.id LIMIT 1) s ON true
        WHERE h.claimed_at >= v_from AND h.claimed_at < v_to
        ORDER BY h.claimed_at, h.kid, h.serial
    LOOP
        v_local := r.claimed_at AT TIME ZONE v.time_zone;
        v_today := v_local::date;
        v_week := date_trunc('week', v_local)::date;
        v_i := v_today - v_first + 1;
        d_claims[v_i] := d_claims[v_i] + 1;
        m_within[r.slot] := coalesce(m_within[r.slot], 0) + 1;
        IF m_day[r.slot] IS DISTINCT FROM v_today THEN
            m_day[r.slot] := v_today;
            m_day_points[r.slot] := 0;
            m_day_awards[r.slot] := 0;
        END IF;
        IF m_week[r.slot] IS DISTINCT FROM v_week THEN
            m_week[r.slot] := v_week;
            m_week_points[r.slot] := 0;
        END IF;

        -- The conditions, as apply_campaigns tests them.
        CONTINUE WHEN NOT campaign_conditions_hold(v, r.claimed_at, r.product_id, r.batch_id, r.region, r.channel, r.tier,
                                                   r.ordinal, r.product_ordinal);
        CONTINUE WHEN v.segment = 'lapsed'
                      AND (r.previous IS NULL OR r.previous > r.claimed_at - make_interval(days => v.lapsed_days));
        CONTINUE WHEN v.nth_claim IS NOT NULL AND v.nth_within = 'campaign'
                      AND CASE WHEN v.nth_every THEN m_within[r.slot] % v.nth_claim <> 0
                               ELSE m_within[r.slot] <> v.nth_claim END;
        CONTINUE WHEN v.awards_per_member IS NOT NULL AND coalesce(m_awards[r.slot], 0) >= v.awards_per_member;
        d_matched[v_i] := d_matched[v_i] + 1;

        -- The effect.
        v_outcome := 'awarded';
        v_points := 0;
        v_prize := NULL;
        CASE v.effect
            WHEN 'bonus' THEN v_points := v.bonus_points;
            WHEN 'multiplier' THEN v_points := ceil(r.base * (v.multiplier - 1));
            WHEN 'voucher' THEN NULL;
            WHEN 'draw' THEN
                v_ticket := campaign_ticket(v_secret, r.kid, r.serial);
                SELECT p.key, coalesce(p.points, 0) INTO v_key, v_points FROM campaign_prize(p_campaign, v.version, v_ticket) p;
                IF FOUND THEN
                    v_prize := array_position(v_keys, v_key);
                ELSE
                    v_outcome := 'no_prize';
                    v_points := 0;
                END IF;
        END CASE;

        -- Per-member budgets.
        IF v_outcome = 'awarded' AND v_points > 0
           AND (coalesce(m_points[r.slot], 0) + v_points > v.member_points
                OR m_day_points[r.slot] + v_points > v.member_points_per_day
                OR m_week_points[r.slot] + v_points > v.member_points_per_week) THEN
            v_outcome := 'budget_exhausted';
        END IF;
        -- Abuse limits: per address and per phone (the member's) and local day.
        IF v_outcome = 'awarded'
           AND ((v.awards_per_ip_per_day IS NOT NULL AND r.ip IS NOT NULL AND a_day[r.ip_slot] IS NOT DISTINCT FROM v_today
                 AND a_awards[r.ip_slot] >= v.awards_per_ip_per_day)
                OR (v.awards_per_phone_per_day IS NOT NULL AND r.has_phone
                    AND m_day_awards[r.slot] >= v.awards_per_phone_per_day)) THEN
            v_outcome := 'limit_reached';
        END IF;
        -- The totals: the prize's stock, the awards, the points.
        IF v_outcome = 'awarded' AND v_prize IS NOT NULL AND v_left[v_prize] < 1 THEN
            v_outcome := 'out_of_stock';
            d_refused[v_i] := d_refused[v_i] + 1;
        ELSIF v_outcome = 'awarded' AND (v_awards_left < 1 OR (v_points > 0 AND v_points_left < v_points)) THEN
            v_outcome := 'budget_exhausted';
            d_refused[v_i] := d_refused[v_i] + 1;
        END IF;
        CONTINUE WHEN v_outcome <> 'awarded';

        -- The award.
        IF v_prize IS NOT NULL THEN
            v_left[v_prize] := v_left[v_prize] - 1;
            d_won[(v_i - 1) * cardinality(v_keys) + v_prize] := d_won[(v_i - 1) * cardinality(v_keys) + v_prize] + 1;
        END IF;
        v_awards_left := v_awards_left - 1;
        v_points_left := v_points_left - v_points;
        d_awards[v_i] := d_awards[v_i] + 1;
        d_points[v_i] := d_points[v_i] + v_points;
        IF coalesce(m_awards[r.slot], 0) = 0 THEN
            d_first[v_i] := d_first[v_i] + 1;
        END IF;
        IF m_reached[r.slot] IS DISTINCT FROM v_today THEN
            m_reached[r.slot] := v_today;
            d_members[v_i] := d_members[v_i] + 1;
        END IF;
        m_awards[r.slot] := coalesce(m_awards[r.slot], 0) + 1;
        m_points[r.slot] := coalesce(m_points[r.slot], 0) + v_points;
        m_day_points[r.slot] := m_day_points[r.slot] + v_points;
        m_day_awards[r.slot] := m_day_awards[r.slot] + 1;
        m_week_points[r.slot] := m_week_points[r.slot] + v_points;
        IF r.ip IS NOT NULL THEN
            IF a_day[r.ip_slot] IS DISTINCT FROM v_today THEN
                a_day[r.ip_slot] := v_today;
                a_awards[r.ip_slot] := 0;
            END IF;
            a_awards[r.ip_slot] := a_awards[r.ip_slot] + 1;
        END IF;
    END LOOP;

    -- The days, with the budgets left at each day's end.
    v_cum_won := array_fill(0::bigint, ARRAY[greatest(cardinality(v_keys), 1)]);
    FOR i IN 1 .. v_days LOOP
        v_cum_points := v_cum_points + d_points[i];
        v_cum_awards := v_cum_awards + d_awards[i];
        v_prizes := '{}';
        FOR k IN 1 .. cardinality(v_keys) LOOP
            v_cum_won[k] := v_cum_won[k] + d_won[(i - 1) * cardinality(v_keys) + k];
            v_prizes := v_prizes || jsonb_build_object(v_keys[k], jsonb_build_object(
                'awarded', d_won[(i - 1) * cardinality(v_keys) + k], 'left', v_stock[k] - v_cum_won[k]));
        END LOOP;
        day := v_first + i - 1;
        claims := d_claims[i];
        matched := d_matched[i];
        awards := d_awards[i];
        points := d_points[i];
        members_reached := d_members[i];
        first_reached := d_first[i];
        refused_total := d_refused[i];
        points_budget_left := v_points_total - v_cum_points;
        awards_budget_left := v_awards_total - v_cum_awards;
        prizes := v_prizes;
        RETURN NEXT;
    END LOOP;
END;
$$;
