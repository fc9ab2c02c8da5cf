-- CRM and redemption: the programme's settings and tiers, points lots with expiry,
-- merges, rewards and redemptions, and the webhook outbox.
--
-- Every change of points goes through the functions below, each one transaction and one
-- round trip: credit_points and debit_points (the lot bookkeeping), claim_code, adjust_points,
-- redeem_reward, cancel_redemption, expire_points, merge_members and refresh_tier.

-- The programme: one row, read by the functions below, changed through the API.
CREATE TABLE programme_settings (
    id                       boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- How long credited points stay spendable (0: they never expire). A batch may override it.
    points_valid_months      integer NOT NULL DEFAULT 12 CHECK (points_valid_months BETWEEN 0 AND 120),
    -- Tiers go by points earned within this trailing window, not by balance.
    tier_window_months       integer NOT NULL DEFAULT 12 CHECK (tier_window_months BETWEEN 1 AND 60),
    -- A redemption may be cancelled (points and stock returned) this long after it was made.
    redemption_cancel_hours  integer NOT NULL DEFAULT 72 CHECK (redemption_cancel_hours BETWEEN 0 AND 8760),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
INSERT INTO programme_settings DEFAULT VALUES;

-- A member's tier is the highest whose threshold their points earned in the window reach.
CREATE TABLE tiers (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
    min_earned  bigint NOT NULL UNIQUE CHECK (min_earned >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE batches ADD COLUMN points_valid_months integer CHECK (points_valid_months BETWEEN 0 AND 120);

-- When the member's tier must be looked at again even without a new credit: the moment
-- their oldest points in the window age out of it and the tier would drop.
ALTER TABLE members ADD COLUMN tier_review_at timestamptz;
CREATE INDEX members_tier_review ON members (tier_review_at) WHERE tier_review_at IS NOT NULL;
CREATE INDEX members_merged_into ON members (merged_into) WHERE merged_into IS NOT NULL;
-- A member's first and last scans for the CRM profile; only scans by a known member are indexed.
CREATE INDEX scans_by_member ON scans (member_id, scanned_at) WHERE member_id IS NOT NULL;

-- Every credit is a lot: spending takes the lots that expire first, and what a lot has left
-- at its expiry is written off by expire_points. sum(remaining) = the member's balance.
CREATE TABLE point_lots (
    member_id        uuid NOT NULL REFERENCES members (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    -- The ledger entry that credited it (under the member who earned it, before any merge).
    ledger_entry_id  bigint NOT NULL,
    source           text NOT NULL CHECK (source IN ('claim', 'adjustment')),
    points           bigint NOT NULL CHECK (points > 0),
    remaining        bigint NOT NULL CHECK (remaining BETWEEN 0 AND points),
    earned_at        timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    PRIMARY KEY (member_id, id)
);
CREATE INDEX point_lots_open ON point_lots (member_id, expires_at, id) WHERE remaining > 0;
CREATE INDEX point_lots_due ON point_lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;

-- Who merged which member into which, and what moved.
CREATE TABLE member_merges (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    survivor_id        uuid NOT NULL REFERENCES members (id),
    absorbed_id        uuid NOT NULL UNIQUE REFERENCES members (id),
    points_moved       bigint NOT NULL,
    identities_moved   integer NOT NULL,
    reason             text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    actor              text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_merges_by_survivor ON member_merges (survivor_id);

CREATE TABLE rewards (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku               text NOT NULL UNIQUE CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description       text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    image_url         text CHECK (length(image_url) <= 2000),
    cost_points       bigint NOT NULL CHECK (cost_points BETWEEN 1 AND 100000000),
    -- NULL: unlimited. Otherwise initial_stock − stock = units in live redemptions (I4);
    -- restocking raises both.
    initial_stock     bigint CHECK (initial_stock >= 0),
    stock             bigint CHECK (stock >= 0),
    per_member_limit  integer CHECK (per_member_limit >= 1),
    active_from       timestamptz,
    active_until      timestamptz,
    -- Channels it may be redeemed through (e.g. web, wechat_miniprogram); NULL: all.
    channels          text[],
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((initial_stock IS NULL) = (stock IS NULL)),
    CHECK (stock <= initial_stock),
    CHECK (active_until IS NULL OR active_from IS NULL OR active_until > active_from)
);

CREATE TABLE redemptions (
    member_id         uuid NOT NULL REFERENCES members (id),
    id                uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    reward_id         bigint NOT NULL REFERENCES rewards (id),
    quantity          integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    points            bigint NOT NULL CHECK (points > 0),
    voucher           text NOT NULL UNIQUE,
    status            text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'cancelled')),
    channel           text NOT NULL,
    actor             text NOT NULL,
    ledger_entry_id   bigint NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    cancelled_at      timestamptz,
    cancel_entry_id   bigint,
    PRIMARY KEY (member_id, id),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX redemptions_by_reward ON redemptions (reward_id, member_id) WHERE status = 'issued';

-- Which lots a redemption (or a debit) took its points from, so a cancel puts them back.
CREATE TABLE lot_debits (
    member_id        uuid NOT NULL,
    ledger_entry_id  bigint NOT NULL,
    lot_id           bigint NOT NULL,
    points           bigint NOT NULL CHECK (points > 0),
    PRIMARY KEY (member_id, ledger_entry_id, lot_id)
);

-- Webhooks: subscriptions, the outbox of events and one delivery per event and subscriber.
CREATE TABLE webhook_subscriptions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url          text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    -- Signs each delivery (HMAC-SHA256); shown once, when the subscription is created.
    secret       bytea NOT NULL CHECK (length(secret) = 32),
    event_types  text[] NOT NULL CHECK (cardinality(event_types) > 0 AND event_types <@ ARRAY[
                     'member.created', 'points.credited', 'points.debited', 'points.expired',
                     'redemption.created', 'redemption.cancelled', 'member.merged', 'tier.changed']::text[]),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);

-- Events are written in the same transaction as the change they describe, and only when an
-- active subscription wants them (billions of claims need not fill an outbox nobody reads).
CREATE TABLE outbox_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type        text NOT NULL,
    member_id   uuid,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         bigint NOT NULL REFERENCES outbox_events (id),
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, id);

-- Writes an event and its deliveries, if anybody subscribes to its type.
CREATE FUNCTION emit_event(p_type text, p_member uuid, p_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_event bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions s
                   WHERE s.active AND s.deleted_at IS NULL AND p_type = ANY (s.event_types)) THEN
        RETURN;
    END IF;
    -- The event's id goes into the payload delivered, so receivers can drop duplicates.
    v_event := nextval('outbox_events_id_seq'::regclass);
    INSERT INTO outbox_events (id, type, member_id, payload) OVERRIDING SYSTEM VALUE
        VALUES (v_event, p_type, p_member,
                jsonb_build_object('id', v_event::text, 'type', p_type, 'created_at', now(), 'data', p_data));
    INSERT INTO webhook_deliveries (event_id, subscription_id)
        SELECT v_event, s.id FROM webhook_subscriptions s
        WHERE s.active AND s.deleted_at IS NULL AND p_type = ANY (s.event_types);
    -- Wake the delivery service at once, except for points.credited: it comes with every
    -- claim, and PostgreSQL commits notifying transactions one at a time. The service also
    -- looks every second.
    IF p_type <> 'points.credited' THEN
        PERFORM pg_notify('tally_webhooks', '');
    END IF;
END;
$$;

-- Events for every points movement, from the ledger itself, so no path can forget one.
CREATE FUNCTION ledger_entry_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind IN ('merge_in', 'merge_out') THEN RETURN NULL; END IF;
    PERFORM emit_event(
        CASE WHEN NEW.kind = 'expiry' THEN 'points.expired'
             WHEN NEW.points > 0 THEN 'points.credited' ELSE 'points.debited' END,
        NEW.member_id,
        jsonb_strip_nulls(jsonb_build_object(
            'member_id', NEW.member_id, 'entry_id', NEW.id, 'kind', NEW.kind, 'points', NEW.points,
            'balance_after', NEW.balance_after, 'reason', NEW.reason,
            'code_serial', NEW.serial, 'code_kid', NEW.kid)));
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_entries_events AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_event();

CREATE FUNCTION member_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM emit_event('member.created', NEW.id, jsonb_build_object('member_id', NEW.id));
    ELSIF NEW.tier IS DISTINCT FROM OLD.tier AND NEW.merged_into IS NULL THEN
        PERFORM emit_event('tier.changed', NEW.id, jsonb_build_object('member_id', NEW.id, 'from', OLD.tier, 'to', NEW.tier));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER members_events AFTER INSERT OR UPDATE OF tier ON members
    FOR EACH ROW EXECUTE FUNCTION member_event();

CREATE FUNCTION redemption_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM emit_event(
            CASE WHEN NEW.status = 'cancelled' THEN 'redemption.cancelled' ELSE 'redemption.created' END,
            NEW.member_id,
            jsonb_build_object('member_id', NEW.member_id, 'redemption_id', NEW.id, 'reward_id', NEW.reward_id,
                               'quantity', NEW.quantity, 'points', NEW.points, 'voucher', NEW.voucher,
                               'channel', NEW.channel));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER redemptions_events AFTER INSERT OR UPDATE OF status ON redemptions
    FOR EACH ROW EXECUTE FUNCTION redemption_event();

-- The member to credit or debit: a merged member's survivor. Locks it (FOR UPDATE), so one
-- member's points change one transaction at a time, writes off its lots past their expiry,
-- and returns its balance. Raises P0002 (no_data_found) for an unknown member.
--
-- The common case is one statement. A merged member is locked before its survivor; a merge
-- locks its pair in id order, so the two can deadlock in rare races, which PostgreSQL breaks
-- and the server runs again.
CREATE FUNCTION lock_member(p_member uuid, OUT member_id uuid, OUT balance bigint) LANGUAGE plpgsql AS $$
DECLARE
    v_merged uuid;
BEGIN
    SELECT m.merged_into, m.balance INTO v_merged, balance FROM members m WHERE m.id = p_member FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'member % does not exist', p_member USING ERRCODE = 'no_data_found';
    END IF;
    member_id := p_member;
    IF v_merged IS NOT NULL THEN
        -- merged_into always names the final survivor (merge_members keeps it flat).
        SELECT m.balance INTO balance FROM members m WHERE m.id = v_merged FOR UPDATE;
        member_id := v_merged;
    END IF;
    -- Points past their expiry are written off before any change, so they are never spent,
    -- whether or not the expiry job has come by yet.
    IF EXISTS (SELECT 1 FROM point_lots l WHERE l.member_id = lock_member.member_id
               AND l.remaining > 0 AND l.expires_at <= now()) THEN
        balance := balance - expire_member_lots(member_id);
    END IF;
END;
$$;

-- Writes off what is left of a locked member's lots past their expiry, as one ledger entry.
-- Returns the points written off.
CREATE FUNCTION expire_member_lots(p_member uuid) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_points bigint;
    v_balance bigint;
BEGIN
    WITH due AS (
        UPDATE point_lots l SET remaining = 0
        FROM (SELECT id, remaining FROM point_lots
              WHERE member_id = p_member AND remaining > 0 AND expires_at <= now() FOR UPDATE) d
        WHERE l.member_id = p_member AND l.id = d.id
        RETURNING d.remaining)
    SELECT coalesce(sum(remaining), 0) INTO v_points FROM due;
    IF v_points > 0 THEN
        UPDATE members m SET balance = m.balance - v_points,
                             lifetime_expired = m.lifetime_expired + v_points,
                             updated_at = now()
            WHERE m.id = p_member RETURNING m.balance INTO v_balance;
        INSERT INTO ledger_entries (member_id, kind, points, balance_after, reason, actor)
            VALUES (p_member, 'expiry', -v_points, v_balance, 'points expired', 'expiry');
    END IF;
    RETURN v_points;
END;
$$;

-- The tier a member's points earned in the window reach, and when it should next be looked
-- at without a new credit (when the oldest points in the window leave it and the tier drops).
CREATE FUNCTION refresh_tier(p_member uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_window interval;
    v_earned bigint;
    v_tier text;
    v_threshold bigint;
    v_review timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tiers) THEN
        UPDATE members SET tier = NULL, tier_review_at = NULL
            WHERE id = p_member AND (tier IS NOT NULL OR tier_review_at IS NOT NULL);
        RETURN NULL;
    END IF;
    SELECT make_interval(months => s.tier_window_months) INTO v_window FROM programme_settings s;
    SELECT coalesce(sum(l.points), 0) INTO v_earned FROM point_lots l
        WHERE l.member_id = p_member AND l.earned_at > now() - v_window;
    SELECT t.name, t.min_earned INTO v_tier, v_threshold FROM tiers t
        WHERE t.min_earned <= v_earned ORDER BY t.min_earned DESC LIMIT 1;
    IF v_tier IS NOT NULL AND v_threshold > 0 THEN
        -- Walking from the oldest lot in the window: the first one whose leaving takes the
        -- sum below the threshold sets the review time.
        SELECT x.earned_at + v_window INTO v_review FROM (
            SELECT l.earned_at, v_earned - sum(l.points) OVER (ORDER BY l.earned_at, l.id) AS left_after
            FROM point_lots l WHERE l.member_id = p_member AND l.earned_at > now() - v_window) x
        WHERE x.left_after < v_threshold ORDER BY x.earned_at LIMIT 1;
    END IF;
    UPDATE members SET tier = v_tier, tier_review_at = v_review
        WHERE id = p_member AND (tier IS DISTINCT FROM v_tier OR tier_review_at IS DISTINCT FROM v_review);
    RETURN v_tier;
END;
$$;

-- Recomputes the tiers of up to p_members members whose review time has come (their oldest
-- points in the window left it, or the tiers changed). Each member is locked first, so the
-- tier is computed from lots no credit is changing. Returns the members reviewed.
CREATE FUNCTION review_tiers(p_members integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
    v_reviewed integer := 0;
BEGIN
    FOR v_member IN SELECT m.id FROM members m
                    WHERE m.tier_review_at <= now() AND m.merged_into IS NULL
                    ORDER BY m.tier_review_at LIMIT p_members FOR UPDATE SKIP LOCKED LOOP
        PERFORM refresh_tier(v_member);
        v_reviewed := v_reviewed + 1;
    END LOOP;
    RETURN v_reviewed;
END;
$$;

-- Credits a locked member (see lock_member): ledger entry, lot, balance, tier.
-- Returns the new balance. p_valid_months NULL: the programme's default.
CREATE FUNCTION credit_points(
    p_member uuid, p_points bigint, p_kind text, p_source text, p_valid_months integer,
    p_reason text, p_actor text, p_kid smallint, p_serial bigint, p_entry bigint
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
    v_months integer;
    v_tiers boolean;
    v_tier text;
BEGIN
    SELECT coalesce(p_valid_months, s.points_valid_months), EXISTS (SELECT 1 FROM tiers)
        INTO v_months, v_tiers FROM programme_settings s;
    UPDATE members m SET balance = m.balance + p_points,
                         lifetime_earned = m.lifetime_earned + p_points,
                         updated_at = now()
        WHERE m.id = p_member RETURNING m.balance, m.tier INTO v_balance, v_tier;
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, kid, serial, reason, actor)
        OVERRIDING SYSTEM VALUE
        VALUES (p_member, p_entry, p_kind, p_points, v_balance, p_kid, p_serial, p_reason, p_actor);
    INSERT INTO point_lots (member_id, ledger_entry_id, source, points, remaining, expires_at)
        VALUES (p_member, p_entry, p_source, p_points, p_points,
                CASE WHEN v_months > 0 THEN now() + make_interval(months => v_months) END);
    -- Without tiers there is nothing to compute (unless a tier is left from before they went).
    IF v_tiers OR v_tier IS NOT NULL THEN
        PERFORM refresh_tier(p_member);
    END IF;
    RETURN v_balance;
END;
$$;

-- Debits a locked member: takes the points from the lots that expire first (never-expiring
-- lots last), records which, and appends the ledger entry. The caller has checked the balance.
-- Returns the ledger entry's id.
CREATE FUNCTION debit_points(
    p_member uuid, p_points bigint, p_kind text, p_reason text, p_actor text
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_entry bigint := nextval('ledger_entries_id_seq'::regclass);
    v_needed bigint := p_points;
    v_take bigint;
    v_balance bigint;
    v_lot record;
BEGIN
    FOR v_lot IN SELECT l.id, l.remaining FROM point_lots l
                 WHERE l.member_id = p_member AND l.remaining > 0
                 ORDER BY l.expires_at NULLS LAST, l.id FOR UPDATE LOOP
        EXIT WHEN v_needed = 0;
        v_take := least(v_lot.remaining, v_needed);
        UPDATE point_lots SET remaining = remaining - v_take WHERE member_id = p_member AND id = v_lot.id;
        INSERT INTO lot_debits (member_id, ledger_entry_id, lot_id, points) VALUES (p_member, v_entry, v_lot.id, v_take);
        v_needed := v_needed - v_take;
    END LOOP;
    IF v_needed > 0 THEN
        RAISE EXCEPTION 'member % lots hold less than the balance', p_member USING ERRCODE = 'check_violation';
    END IF;
    UPDATE members m SET balance = m.balance - p_points,
                         lifetime_redeemed = m.lifetime_redeemed + CASE WHEN p_kind = 'redemption' THEN p_points ELSE 0 END,
                         lifetime_earned = m.lifetime_earned - CASE WHEN p_kind = 'adjustment' THEN p_points ELSE 0 END,
                         updated_at = now()
        WHERE m.id = p_member RETURNING m.balance INTO v_balance;
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, reason, actor)
        OVERRIDING SYSTEM VALUE
        VALUES (p_member, v_entry, p_kind, -p_points, v_balance, p_reason, p_actor);
    RETURN v_entry;
END;
$$;

-- claim_code as in 0003, now crediting through credit_points (a lot, the tier, events) and
-- following a merged member to its survivor.
CREATE OR REPLACE FUNCTION claim_code(
    p_kid smallint, p_serial bigint, p_member uuid, p_channel text,
    p_daily_cap integer, p_time_zone text,
    p_ip inet, p_user_agent text, p_latitude double precision, p_longitude double precision, p_accuracy real
) RETURNS TABLE (
    outcome text, batch_id bigint, points integer, balance bigint,
    claimed_by uuid, claimed_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    v_batch batches%ROWTYPE;
    v_state text;
    v_member uuid;
    v_entry bigint;
    v_balance bigint;
    v_claims_today integer;
BEGIN
    SELECT * INTO v_batch FROM batches b WHERE b.kid = p_kid AND b.serials @> p_serial;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_batch', NULL::bigint, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT c.state INTO v_state FROM batch_state_changes c
        WHERE c.kid = p_kid AND c.serials @> p_serial ORDER BY c.id DESC LIMIT 1;
    v_state := coalesce(v_state, 'created');

    -- Already claimed wins over every other answer: the person sees who holds it.
    RETURN QUERY SELECT 'already_claimed', c.batch_id, c.points, NULL::bigint,
                        coalesce(m.merged_into, c.member_id), c.claimed_at
        FROM claims c JOIN members m ON m.id = c.member_id WHERE c.kid = p_kid AND c.serial = p_serial;
    IF FOUND THEN RETURN; END IF;

    IF v_state <> 'active' THEN
        RETURN QUERY SELECT CASE v_state WHEN 'voided' THEN 'voided' ELSE 'not_active' END,
            v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz;
        RETURN;
    END IF;
    IF v_batch.expiry_date IS NOT NULL AND v_batch.expiry_date < (now() AT TIME ZONE p_time_zone)::date THEN
        RETURN QUERY SELECT 'expired', v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz;
        RETURN;
    END IF;
    -- One member's claims take turns from here: the daily cap is counted under this lock, and
    -- ledger entries get their ids in the order their running balance follows.
    BEGIN
        SELECT l.member_id INTO v_member FROM lock_member(p_member) l;
    EXCEPTION WHEN no_data_found THEN
        RAISE EXCEPTION 'member % does not exist', p_member USING ERRCODE = 'foreign_key_violation';
    END;
    IF p_daily_cap > 0 THEN
        SELECT count(*) INTO v_claims_today FROM claims c
            WHERE c.member_id = v_member
              AND c.claimed_at >= (date_trunc('day', now() AT TIME ZONE p_time_zone) AT TIME ZONE p_time_zone);
        IF v_claims_today >= p_daily_cap THEN
            RETURN QUERY SELECT 'daily_cap', v_batch.id, NULL::integer, NULL::bigint, NULL::uuid, NULL::timestamptz;
            RETURN;
        END IF;
    END IF;

    -- The claim's primary key is the code: a concurrent claim of the same code waits here
    -- for the first to commit, then inserts nothing and credits nothing.
    v_entry := nextval('ledger_entries_id_seq'::regclass);
    INSERT INTO claims AS c (kid, serial, batch_id, member_id, ledger_entry_id, points, channel)
        VALUES (p_kid, p_serial, v_batch.id, v_member, v_entry, v_batch.points_per_code, p_channel)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'already_claimed', c.batch_id, c.points, NULL::bigint, c.member_id, c.claimed_at
            FROM claims c WHERE c.kid = p_kid AND c.serial = p_serial;
        RETURN;
    END IF;

    v_balance := credit_points(v_member, v_batch.points_per_code, 'claim', 'claim', v_batch.points_valid_months,
                               NULL, NULL, p_kid, p_serial, v_entry);
    INSERT INTO scans (result, kid, serial, member_id, ip, user_agent, latitude, longitude, accuracy_m)
        VALUES ('claimed', p_kid, p_serial, v_member, p_ip, left(p_user_agent, 500), p_latitude, p_longitude, p_accuracy);

    RETURN QUERY SELECT 'claimed', v_batch.id, v_batch.points_per_code, v_balance, v_member, now();
END;
$$;

-- A manual credit (points > 0) or debit (points < 0) by the CRM, with its reason and actor.
-- Outcomes: adjusted, insufficient_points.
CREATE FUNCTION adjust_points(
    p_member uuid, p_points bigint, p_reason text, p_actor text,
    OUT outcome text, OUT member_id uuid, OUT entry_id bigint, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
    v_balance bigint;
BEGIN
    SELECT l.member_id, l.balance INTO v_member, v_balance FROM lock_member(p_member) l;
    member_id := v_member;
    IF p_points > 0 THEN
        entry_id := nextval('ledger_entries_id_seq'::regclass);
        balance := credit_points(v_member, p_points, 'adjustment', 'adjustment', NULL, p_reason, p_actor, NULL, NULL, entry_id);
    ELSIF v_balance < -p_points THEN
        outcome := 'insufficient_points';
        balance := v_balance;
        RETURN;
    ELSE
        entry_id := debit_points(v_member, -p_points, 'adjustment', p_reason, p_actor);
        balance := v_balance + p_points;
    END IF;
    outcome := 'adjusted';
END;
$$;

-- Redeems a reward: points, stock and the per-member limit checked and changed together.
-- Outcomes: redeemed, unknown_reward, inactive, wrong_channel, out_of_stock, limit_reached,
-- insufficient_points. The member is locked before the reward, everywhere.
CREATE FUNCTION redeem_reward(
    p_member uuid, p_reward bigint, p_quantity integer, p_channel text, p_actor text, p_voucher text,
    OUT outcome text, OUT member_id uuid, OUT redemption_id uuid, OUT points bigint, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
    v_balance bigint;
    v_reward rewards%ROWTYPE;
    v_taken bigint;
    v_entry bigint;
BEGIN
    SELECT l.member_id, l.balance INTO v_member, v_balance FROM lock_member(p_member) l;
    member_id := v_member;
    balance := v_balance;
    SELECT * INTO v_reward FROM rewards r WHERE r.id = p_reward FOR UPDATE;
    IF NOT FOUND THEN outcome := 'unknown_reward'; RETURN; END IF;
    IF (v_reward.active_from IS NOT NULL AND now() < v_reward.active_from)
       OR (v_reward.active_until IS NOT NULL AND now() >= v_reward.active_until) THEN
        outcome := 'inactive'; RETURN;
    END IF;
    IF v_reward.channels IS NOT NULL AND NOT (p_channel = ANY (v_reward.channels)) THEN
        outcome := 'wrong_channel'; RETURN;
    END IF;
    IF v_reward.stock IS NOT NULL AND v_reward.stock < p_quantity THEN
        outcome := 'out_of_stock'; RETURN;
    END IF;
    IF v_reward.per_member_limit IS NOT NULL THEN
        SELECT coalesce(sum(r.quantity), 0) INTO v_taken FROM redemptions r
            WHERE r.reward_id = p_reward AND r.member_id = v_member AND r.status = 'issued';
        IF v_taken + p_quantity > v_reward.per_member_limit THEN
            outcome := 'limit_reached'; RETURN;
        END IF;
    END IF;
    points := v_reward.cost_points * p_quantity;
    IF v_balance < points THEN
        outcome := 'insufficient_points'; RETURN;
    END IF;

    UPDATE rewards SET stock = stock - p_quantity, updated_at = now() WHERE id = p_reward AND stock IS NOT NULL;
    v_entry := debit_points(v_member, points, 'redemption', v_reward.sku, p_actor);
    INSERT INTO redemptions (member_id, reward_id, quantity, points, voucher, channel, actor, ledger_entry_id)
        VALUES (v_member, p_reward, p_quantity, points, p_voucher, p_channel, p_actor, v_entry)
        RETURNING id INTO redemption_id;
    balance := v_balance - points;
    outcome := 'redeemed';
END;
$$;

-- Cancels a redemption within the programme's window: its points go back to the lots they
-- came from, its units back to stock. Outcomes: cancelled, unknown_redemption,
-- already_cancelled, window_closed.
CREATE FUNCTION cancel_redemption(
    p_redemption uuid, p_reason text, p_actor text,
    OUT outcome text, OUT member_id uuid, OUT points bigint, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_owner uuid;
    v_member uuid;
    v_balance bigint;
    v_redemption redemptions%ROWTYPE;
    v_entry bigint;
BEGIN
    SELECT r.member_id INTO v_owner FROM redemptions r WHERE r.id = p_redemption;
    IF NOT FOUND THEN outcome := 'unknown_redemption'; RETURN; END IF;
    -- Lock the member first (as every points change does), then read the redemption again:
    -- a merge may have moved it to the survivor meanwhile.
    SELECT l.member_id, l.balance INTO v_member, v_balance FROM lock_member(v_owner) l;
    SELECT * INTO v_redemption FROM redemptions r WHERE r.id = p_redemption;
    member_id := v_redemption.member_id;
    balance := v_balance;
    points := v_redemption.points;
    IF v_redemption.status = 'cancelled' THEN outcome := 'already_cancelled'; RETURN; END IF;
    IF v_redemption.created_at + make_interval(hours => (SELECT s.redemption_cancel_hours FROM programme_settings s)) < now() THEN
        outcome := 'window_closed'; RETURN;
    END IF;

    PERFORM 1 FROM rewards r WHERE r.id = v_redemption.reward_id FOR UPDATE;
    UPDATE rewards SET stock = stock + v_redemption.quantity, updated_at = now()
        WHERE id = v_redemption.reward_id AND stock IS NOT NULL;
    UPDATE point_lots l SET remaining = l.remaining + d.points
        FROM lot_debits d
        WHERE d.member_id = v_redemption.member_id AND d.ledger_entry_id = v_redemption.ledger_entry_id
          AND l.member_id = v_member AND l.id = d.lot_id;
    UPDATE members m SET balance = m.balance + v_redemption.points,
                         lifetime_redeemed = m.lifetime_redeemed - v_redemption.points,
                         updated_at = now()
        WHERE m.id = v_member RETURNING m.balance INTO balance;
    v_entry := nextval('ledger_entries_id_seq'::regclass);
    INSERT INTO ledger_entries (member_id, id, kind, points, balance_after, reason, actor)
        OVERRIDING SYSTEM VALUE
        VALUES (v_member, v_entry, 'redemption_cancel', v_redemption.points, balance, p_reason, p_actor);
    UPDATE redemptions SET status = 'cancelled', cancelled_at = now(), cancel_entry_id = v_entry
        WHERE id = p_redemption;
    outcome := 'cancelled';
END;
$$;

-- Writes off what is left of lots past their expiry, one ledger entry per member, for at most
-- p_members members per call; call it until `seen` is 0. `members` counts those who had
-- points written off (a member merged away meanwhile is seen but has nothing left).
CREATE FUNCTION expire_points(p_members integer) RETURNS TABLE (seen integer, members integer, points bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_member uuid;
    v_points bigint;
BEGIN
    seen := 0;
    members := 0;
    points := 0;
    FOR v_member IN SELECT DISTINCT l.member_id FROM point_lots l
                    WHERE l.remaining > 0 AND l.expires_at <= now() LIMIT p_members LOOP
        seen := seen + 1;
        -- Lots belong to members not merged away; if this one was merged meanwhile, its lots
        -- moved to the survivor and nothing is left here to write off.
        PERFORM 1 FROM members m WHERE m.id = v_member FOR UPDATE;
        v_points := expire_member_lots(v_member);
        IF v_points > 0 THEN
            members := members + 1;
            points := points + v_points;
        END IF;
    END LOOP;
    RETURN NEXT;
END;
$$;

-- Merges p_absorbed into p_survivor: balance (as a merge_out / merge_in pair of ledger entries,
-- since the ledger is append-only), lifetime counters, identities, lots and redemptions move;
-- the absorbed member keeps its history and points at the survivor from then on.
-- Outcomes: merged, same_member, unknown_member, already_merged.
CREATE FUNCTION merge_members(
    p_survivor uuid, p_absorbed uuid, p_reason text, p_actor text,
    OUT outcome text, OUT points_moved bigint, OUT identities_moved integer, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_survivor members%ROWTYPE;
    v_absorbed members%ROWTYPE;
BEGIN
    IF p_survivor = p_absorbed THEN outcome := 'same_member'; RETURN; END IF;
    -- The pair, and members merged into the absorbed one earlier (they will point at the
    -- survivor), locked in id order.
    PERFORM 1 FROM members m WHERE m.id IN (p_survivor, p_absorbed) OR m.merged_into = p_absorbed
        ORDER BY m.id FOR UPDATE;
    SELECT * INTO v_survivor FROM members m WHERE m.id = p_survivor;
    SELECT * INTO v_absorbed FROM members m WHERE m.id = p_absorbed;
    IF v_survivor.id IS NULL OR v_absorbed.id IS NULL THEN outcome := 'unknown_member'; RETURN; END IF;
    IF v_survivor.merged_into IS NOT NULL OR v_absorbed.merged_into IS NOT NULL THEN
        outcome := 'already_merged'; RETURN;
    END IF;

    points_moved := v_absorbed.balance;
    IF points_moved > 0 THEN
        INSERT INTO ledger_entries (member_id, kind, points, balance_after, reason, actor)
            VALUES (p_absorbed, 'merge_out', -points_moved, 0, p_reason, p_actor);
        INSERT INTO ledger_entries (member_id, kind, points, balance_after, reason, actor)
            VALUES (p_survivor, 'merge_in', points_moved, v_survivor.balance + points_moved, p_reason, p_actor);
    END IF;
    UPDATE members SET balance = 0, lifetime_earned = 0, lifetime_redeemed = 0, lifetime_expired = 0,
                       tier = NULL, tier_review_at = NULL, merged_into = p_survivor, updated_at = now()
        WHERE id = p_absorbed;
    UPDATE members m SET balance = m.balance + points_moved,
                         lifetime_earned = m.lifetime_earned + v_absorbed.lifetime_earned,
                         lifetime_redeemed = m.lifetime_redeemed + v_absorbed.lifetime_redeemed,
                         lifetime_expired = m.lifetime_expired + v_absorbed.lifetime_expired,
                         updated_at = now()
        WHERE m.id = p_survivor RETURNING m.balance INTO balance;
    -- Members merged into the absorbed one earlier now point at the survivor too.
    UPDATE members SET merged_into = p_survivor WHERE merged_into = p_absorbed;
    UPDATE member_identities SET member_id = p_survivor WHERE member_id = p_absorbed;
    GET DIAGNOSTICS identities_moved = ROW_COUNT;
    UPDATE point_lots SET member_id = p_survivor WHERE member_id = p_absorbed;
    UPDATE lot_debits SET member_id = p_survivor WHERE member_id = p_absorbed;
    UPDATE redemptions SET member_id = p_survivor WHERE member_id = p_absorbed;
    INSERT INTO member_merges (survivor_id, absorbed_id, points_moved, identities_moved, reason, actor)
        VALUES (p_survivor, p_absorbed, points_moved, identities_moved, p_reason, p_actor);
    PERFORM refresh_tier(p_survivor);
    PERFORM emit_event('member.merged', p_survivor, jsonb_build_object(
        'member_id', p_survivor, 'absorbed_id', p_absorbed, 'points_moved', points_moved));
    outcome := 'merged';
END;
$$;

-- Points credited before this migration become one lot per member: what they hold now,
-- earned at their last ledger entry, expiring by the programme's default from then.
INSERT INTO point_lots (member_id, ledger_entry_id, source, points, remaining, earned_at, expires_at)
SELECT m.id, last.id, 'claim', m.balance, m.balance, last.created_at, last.created_at + interval '12 months'
FROM members m
JOIN LATERAL (SELECT l.id, l.created_at FROM ledger_entries l WHERE l.member_id = m.id ORDER BY l.id DESC LIMIT 1) last ON true
WHERE m.balance > 0 AND m.merged_into IS NULL;
