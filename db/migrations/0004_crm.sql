-- CRM and redemption: the programme's settings and tiers, points lots with expiry,
-- merges, rewards and redemptions, and the webhook outbox.
--
-- Every change of points goes through functions (db/functions), each one transaction and one
-- round trip: credit_points and debit_points (the lot bookkeeping), claim_code, adjust_points,
-- redeem_reward, cancel_redemption, expire_points, merge_members and refresh_tier. Webhook
-- events come from triggers on the ledger, members and redemptions (db/functions/*_event.sql).

-- The programme: one row, read by the points functions, changed through the API.
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

-- Points credited before this migration become one lot per member: what they hold now,
-- earned at their last ledger entry, expiring by the programme's default from then.
INSERT INTO point_lots (member_id, ledger_entry_id, source, points, remaining, earned_at, expires_at)
SELECT m.id, last.id, 'claim', m.balance, m.balance, last.created_at, last.created_at + interval '12 months'
FROM members m
JOIN LATERAL (SELECT l.id, l.created_at FROM ledger_entries l WHERE l.member_id = m.id ORDER BY l.id DESC LIMIT 1) last ON true
WHERE m.balance > 0 AND m.merged_into IS NULL;
