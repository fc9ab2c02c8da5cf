-- Applies the live campaigns to a claim that claim_code has just inserted, in the claim's own
-- transaction, with the member locked, before the claim is credited. Returns what the claim won
-- (awards), as a JSON array for the claim's answer and the landing page, one object per award
-- in the order they were made; and the awards' points (credits), which claim_code hands to
-- credit_points with the claim's own, each to be its own ledger entry and lot.
--
-- Campaigns are tried by priority (higher first, then the older). One that does not match
-- is passed over. One that matches writes a row to campaign_awards (the reports count them),
-- with its outcome:
--   awarded           its effect: points (a credit), or a voucher (a redemption that cost
--                     nothing), and a campaign.awarded event;
--   no_prize          its draw's ticket won nothing;
--   out_of_stock      its draw's prize, or its voucher's reward, had no units left;
--   budget_exhausted  the award did not fit whole in a budget (an award is never cut);
--   limit_reached     an abuse limit (per phone, device, address and day) was reached.
-- An exclusive campaign applies only if none applied before it, and then it applies alone.
-- A campaign whose budget ran out with when_exhausted = 'stop', or that hit an abuse limit,
-- steps aside as if it had not matched; with 'base_only' it still holds the claim.
--
-- Budgets are never exceeded: the totals are taken from slices (take_campaign_budget) under
-- row locks, the per-member budgets are counted under the member's lock, and the abuse limits'
-- counts are upserted (the row stays locked until commit). Whatever is taken for an award that
-- then is not made is given back before the next campaign.
--
-- The member's facts: its tier when it claims, its claims with this one (its rollups, which
-- merges fold, plus this one), this product's claims with this one. The member's previous
-- claim, for 'lapsed', is read from the claims of the member and of those merged into it.
CREATE OR REPLACE FUNCTION apply_campaigns(
    p_member uuid, p_kid smallint, p_serial bigint, p_batch bigint, p_product bigint, p_region text,
    p_channel text, p_base_points bigint, p_device text, p_ip inet,
    OUT awards jsonb, OUT credits campaign_credit[]
) LANGUAGE plpgsql AS $$
DECLARE
    v_tier text;
    v_claims bigint;
    v_product_claims bigint;
    v_members uuid[];
    v_previous timestamptz;
    v_c record;
    v_prize text;
    v_prize_zh text;
    v_prize_en text;
    v_reward_sku text;
    v_reward_name text;
    v_applied boolean := false;
    v_outcome text;
    v_points bigint;
    v_reward_id bigint;
    v_ticket integer;
    v_n bigint;
    v_sums record;
    v_limits text[];
    v_counted text[];
    v_taken text[];
    v_budget text;
    v_slice smallint;
    v_entry bigint;
    v_redemption uuid;
    v_voucher text;
    v_subscribed boolean;
BEGIN
    awards := '[]';
    credits := '{}';
    -- The member's facts, read only when a live campaign has a condition on them: reading them
    -- (a sum over the claims by channel) would cost every claim a query for nothing.
    IF EXISTS (SELECT 1 FROM campaigns c JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.version
               WHERE c.state = 'scheduled' AND v.starts_at <= now() AND v.ends_at > now()
                 AND (v.tiers IS NOT NULL OR v.segment IS NOT NULL OR v.nth_claim IS NOT NULL OR v.first_of_product)) THEN
        SELECT m.tier, 1 + (SELECT coalesce(sum(x.value::bigint), 0) FROM jsonb_each_text(m.claims_by_channel) x),
               1 + coalesce((m.claims_by_product ->> p_product::text)::bigint, 0)
            INTO v_tier, v_claims, v_product_claims
            FROM members m WHERE m.id = p_member;
    END IF;

    FOR v_c IN
        SELECT c.id, c.secret, v.*, (now() AT TIME ZONE v.time_zone) AS local_now
        FROM campaigns c JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.version
        WHERE c.state = 'scheduled' AND v.starts_at <= now() AND v.ends_at > now()
          AND campaign_conditions_hold(v, now(), p_product, p_batch, p_region, p_channel, v_tier, v_claims, v_product_claims)
        ORDER BY v.priority DESC, c.id
    LOOP
        CONTINUE WHEN v_applied AND v_c.exclusive;

        -- The conditions that need the member's claims or awards, read only for a campaign
        -- that has them.
        IF v_c.segment = 'lapsed' OR (v_c.nth_claim IS NOT NULL AND v_c.nth_within = 'campaign') THEN
            v_members := coalesce(v_members, p_member || ARRAY(SELECT m.id FROM members m WHERE m.merged_into = p_member));
        END IF;
        IF v_c.segment = 'lapsed' THEN
            v_previous := coalesce(v_previous, (
                SELECT max(c.claimed_at) FROM claims c
                WHERE c.member_id = ANY (v_members) AND NOT (c.kid = p_kid AND c.serial = p_serial)));
            CONTINUE WHEN v_previous IS NULL OR v_previous > now() - make_interval(days => v_c.lapsed_days);
        END IF;
        IF v_c.nth_claim IS NOT NULL AND v_c.nth_within = 'campaign' THEN
            SELECT count(*) INTO v_n FROM claims c WHERE c.member_id = ANY (v_members) AND c.claimed_at >= v_c.starts_at;
            CONTINUE WHEN CASE WHEN v_c.nth_every THEN v_n % v_c.nth_claim <> 0 ELSE v_n <> v_c.nth_claim END;
        END IF;
        IF v_c.awards_per_member IS NOT NULL THEN
            CONTINUE WHEN (SELECT count(*) FROM campaign_awards a
                           WHERE a.member_id = p_member AND a.campaign_id = v_c.id AND a.outcome = 'awarded')
                          >= v_c.awards_per_member;
        END IF;

        -- The award its effect would make.
        v_outcome := 'awarded';
        v_points := 0;
        v_reward_id := NULL;
        v_ticket := NULL;
        v_prize := NULL;
        v_reward_sku := NULL;
        CASE v_c.effect
            WHEN 'bonus' THEN v_points := v_c.bonus_points;
            -- The extra points over the base, rounded up: at least 1.
            WHEN 'multiplier' THEN v_points := ceil(p_base_points * (v_c.multiplier - 1));
            WHEN 'voucher' THEN v_reward_id := v_c.voucher_reward_id;
            WHEN 'draw' THEN
                v_ticket := campaign_ticket(v_c.secret, p_kid, p_serial);
                SELECT p.key, p.name_zh, p.name_en, coalesce(p.points, 0), p.reward_id
                    INTO v_prize, v_prize_zh, v_prize_en, v_points, v_reward_id
                    FROM campaign_prize(v_c.id, v_c.version, v_ticket) p;
                IF NOT FOUND THEN
                    v_outcome := 'no_prize';
                END IF;
        END CASE;

        -- Per-member budgets, counted under the member's lock.
        IF v_outcome = 'awarded' AND v_points > 0
           AND (v_c.member_points IS NOT NULL OR v_c.member_points_per_day IS NOT NULL OR v_c.member_points_per_week IS NOT NULL) THEN
            SELECT coalesce(sum(a.points), 0) AS campaign,
                   coalesce(sum(a.points) FILTER (
                       WHERE a.awarded_at >= date_trunc('day', v_c.local_now) AT TIME ZONE v_c.time_zone), 0) AS day,
                   coalesce(sum(a.points) FILTER (
                       WHERE a.awarded_at >= date_trunc('week', v_c.local_now) AT TIME ZONE v_c.time_zone), 0) AS week
                INTO v_sums
                FROM campaign_awards a WHERE a.member_id = p_member AND a.campaign_id = v_c.id AND a.outcome = 'awarded';
            IF v_sums.campaign + v_points > v_c.member_points
               OR v_sums.day + v_points > v_c.member_points_per_day
               OR v_sums.week + v_points > v_c.member_points_per_week THEN
                v_outcome := 'budget_exhausted';
            END IF;
        END IF;

        -- Abuse limits: one count per subject, in subject order (two claims from one address
        -- and one device then lock their counts in the same order), each refusing past its limit.
        v_counted := '{}';
        IF v_outcome = 'awarded' AND (v_c.awards_per_device_per_day IS NOT NULL OR v_c.awards_per_ip_per_day IS NOT NULL
                                      OR v_c.awards_per_phone_per_day IS NOT NULL) THEN
            v_limits := ARRAY(
                SELECT s.subject || E'\n' || s.max FROM (
                    SELECT 'device:' || p_device AS subject, v_c.awards_per_device_per_day AS max
                        WHERE p_device IS NOT NULL AND v_c.awards_per_device_per_day IS NOT NULL
                    UNION ALL
                    SELECT 'ip:' || host(p_ip), v_c.awards_per_ip_per_day
                        WHERE p_ip IS NOT NULL AND v_c.awards_per_ip_per_day IS NOT NULL
                    UNION ALL
                    SELECT 'phone:' || i.external_id, v_c.awards_per_phone_per_day
                        FROM member_identities i
                        WHERE v_c.awards_per_phone_per_day IS NOT NULL AND i.member_id = p_member AND i.channel = 'phone') s
                ORDER BY s.subject);
            FOR n IN 1 .. coalesce(cardinality(v_limits), 0) LOOP
                INSERT INTO campaign_limit_counts AS l (campaign_id, day, subject, awards)
                    VALUES (v_c.id, v_c.local_now::date, split_part(v_limits[n], E'\n', 1), 1)
                    ON CONFLICT (campaign_id, day, subject) DO UPDATE SET awards = l.awards + 1
                    WHERE l.awards < split_part(v_limits[n], E'\n', 2)::integer;
                IF NOT FOUND THEN
                    v_outcome := 'limit_reached';
                    EXIT;
                END IF;
                v_counted := v_counted || split_part(v_limits[n], E'\n', 1);
            END LOOP;
        END IF;

        -- The totals: the prize's or the voucher's units, the awards, the points.
        v_taken := '{}';
        IF v_outcome = 'awarded' AND v_prize IS NOT NULL THEN
            IF take_campaign_budget(v_c.id, 'prize:' || v_prize, 1) THEN
                v_taken := v_taken || ('prize:' || v_prize);
            ELSE
                v_outcome := 'out_of_stock';
            END IF;
        END IF;
        IF v_outcome = 'awarded' AND v_reward_id IS NOT NULL THEN
            -- Held shared, as a redemption holds it (hold_reward): a change of its stock waits for this.
            PERFORM hold_reward(v_reward_id, false);
            PERFORM FROM rewards r WHERE r.id = v_reward_id AND r.initial_stock IS NOT NULL;
            IF FOUND THEN
                IF take_reward_stock(v_reward_id, 1) THEN
                    v_taken := v_taken || 'reward'::text;
                ELSE
                    v_outcome := 'out_of_stock';
                END IF;
            END IF;
        END IF;
        IF v_outcome = 'awarded' AND v_c.budget_awards IS NOT NULL THEN
            IF take_campaign_budget(v_c.id, 'awards', 1) THEN
                v_taken := v_taken || 'awards'::text;
            ELSE
                v_outcome := 'budget_exhausted';
            END IF;
        END IF;
        IF v_outcome = 'awarded' AND v_points > 0 AND v_c.budget_points IS NOT NULL THEN
            IF take_campaign_budget(v_c.id, 'points', v_points) THEN
                v_taken := v_taken || 'points'::text;
            ELSE
                v_outcome := 'budget_exhausted';
            END IF;
        END IF;

        IF v_outcome <> 'awarded' THEN
            -- Give back what was taken for the award that is not made.
            FOREACH v_budget IN ARRAY v_taken LOOP
                -- One slice, drawn once: random() in the WHERE would be drawn again for each row,
                -- giving back to no slice or to several.
                v_slice := floor(random() * 16)::smallint;
                IF v_budget = 'reward' THEN
                    UPDATE reward_stock s SET units = s.units + 1 WHERE s.reward_id = v_reward_id AND s.slice = v_slice;
                ELSE
                    UPDATE campaign_budget_slices s SET units = s.units + CASE WHEN v_budget = 'points' THEN v_points ELSE 1 END
                        WHERE s.campaign_id = v_c.id AND s.budget = v_budget AND s.slice = v_slice;
                END IF;
            END LOOP;
            UPDATE campaign_limit_counts l SET awards = l.awards - 1
                WHERE l.campaign_id = v_c.id AND l.day = v_c.local_now::date AND l.subject = ANY (v_counted);
            v_points := 0;
            v_reward_id := NULL;
        END IF;

        -- The award itself.
        v_entry := NULL;
        v_redemption := NULL;
        v_voucher := NULL;
        IF v_points > 0 THEN
            v_entry := nextval('ledger_entries_id_seq'::regclass);
            credits := credits || ROW(v_entry, v_points, v_c.id, v_c.version)::campaign_credit;
        END IF;
        IF v_reward_id IS NOT NULL THEN
            SELECT r.sku, r.name INTO v_reward_sku, v_reward_name FROM rewards r WHERE r.id = v_reward_id;
            v_voucher := new_voucher_code();
            INSERT INTO redemptions (member_id, reward_id, quantity, points, voucher, channel, actor, ledger_entry_id)
                VALUES (p_member, v_reward_id, 1, 0, v_voucher, p_channel, 'campaign:' || v_c.id,
                        nextval('ledger_entries_id_seq'::regclass))
                RETURNING id INTO v_redemption;
        END IF;
        INSERT INTO campaign_awards (campaign_id, version, member_id, kid, serial, outcome, points,
                                     ledger_entry_id, prize, reward_id, redemption_id, ticket)
            VALUES (v_c.id, v_c.version, p_member, p_kid, p_serial, v_outcome, v_points,
                    v_entry, v_prize, v_reward_id, v_redemption, v_ticket);
        IF v_outcome = 'awarded' THEN
            awards := awards || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                'campaign_id', v_c.id, 'version', v_c.version,
                'name', jsonb_build_object('zh', v_c.name_zh, 'en', v_c.name_en),
                'effect', v_c.effect, 'points', v_points,
                'prize', CASE WHEN v_prize IS NOT NULL THEN jsonb_build_object(
                    'key', v_prize, 'name', jsonb_build_object('zh', v_prize_zh, 'en', v_prize_en)) END,
                'reward', CASE WHEN v_redemption IS NOT NULL THEN jsonb_build_object('sku', v_reward_sku, 'name', v_reward_name) END,
                'voucher', v_voucher, 'redemption_id', v_redemption)));
            -- Asked first, so that without a subscriber no payload is built (as ledger_entry_event does).
            v_subscribed := coalesce(v_subscribed, EXISTS (
                SELECT 1 FROM webhook_subscriptions s
                WHERE s.active AND s.deleted_at IS NULL AND 'campaign.awarded' = ANY (s.event_types)));
            IF v_subscribed THEN PERFORM emit_event('campaign.awarded', p_member, jsonb_strip_nulls(jsonb_build_object(
                'member_id', p_member, 'campaign_id', v_c.id, 'version', v_c.version, 'effect', v_c.effect,
                'points', v_points, 'entry_id', v_entry, 'prize', v_prize, 'reward_sku', v_reward_sku,
                'redemption_id', v_redemption, 'code_kid', p_kid, 'code_serial', p_serial))); END IF;
        END IF;

        v_applied := v_applied OR NOT (v_outcome = 'limit_reached'
                                       OR (v_outcome = 'budget_exhausted' AND v_c.when_exhausted = 'stop'));
        EXIT WHEN v_applied AND v_c.exclusive;
    END LOOP;
END;
$$;
