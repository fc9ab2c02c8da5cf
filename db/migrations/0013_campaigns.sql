-- Campaigns: promotions the brand's marketers run on every claim (docs/campaigns.md).
--
-- A campaign is a row of `campaigns` (its state, its draw secret) and its versions: every
-- change makes a new version, and the claim path reads only the current one. An award
-- names the version it was made under, so awards already made never change.
-- Conditions and effects are typed columns, not JSON: a claim tests every live campaign, and
-- a column costs it nothing to read.
CREATE TABLE campaigns (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- What the marketers set: draft, scheduled (to run in its window), paused, ended. The
    -- status shown is 'live' for a scheduled campaign inside its window, and 'ended' for one
    -- past its end (see campaign_status).
    state          text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'scheduled', 'paused', 'ended')),
    -- The current version (campaign_versions).
    version        integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- The instant-win draw's key (HMAC-SHA256): its SHA-256 is published once the campaign
    -- is scheduled, the secret itself once it has ended, so anyone can recompute every draw.
    secret         bytea NOT NULL CHECK (length(secret) = 32),
    secret_sha256  bytea GENERATED ALWAYS AS (sha256(secret)) STORED,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    ended_at       timestamptz
);
-- The claim path looks only at scheduled campaigns.
CREATE INDEX campaigns_scheduled ON campaigns (id) WHERE state = 'scheduled';

CREATE TABLE campaign_versions (
    campaign_id            bigint NOT NULL REFERENCES campaigns (id),
    version                integer NOT NULL CHECK (version >= 1),
    name_zh                text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 100),
    name_en                text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 100),
    starts_at              timestamptz NOT NULL,
    ends_at                timestamptz NOT NULL,
    -- Weekdays, hours and per-day limits are counted in this zone.
    time_zone              text NOT NULL,
    -- Higher first; an exclusive campaign applies alone (see apply_campaigns).
    priority               integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    exclusive              boolean NOT NULL DEFAULT false,

    -- Conditions: NULL (or false) is no condition; all that are set must hold.
    product_ids            bigint[],
    batch_ids              bigint[],
    regions                text[],
    channels               text[],
    -- ISO weekdays, 1 = Monday, in the campaign's time zone.
    weekdays               smallint[] CHECK (weekdays <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
    -- Local hours [hour_from, hour_to); hour_from > hour_to runs over midnight.
    hour_from              smallint CHECK (hour_from BETWEEN 0 AND 23),
    hour_to                smallint CHECK (hour_to BETWEEN 1 AND 24),
    tiers                  text[],
    -- new: the member's first claim ever; returning: claimed before; lapsed: the member's
    -- previous claim is lapsed_days or more ago.
    segment                text CHECK (segment IN ('new', 'returning', 'lapsed')),
    lapsed_days            integer CHECK (lapsed_days BETWEEN 1 AND 3650),
    -- The member's nth claim (nth_every: every nth), counted over all their claims
    -- ('overall') or over those since the campaign's start ('campaign').
    nth_claim              integer CHECK (nth_claim BETWEEN 1 AND 100000),
    nth_every              boolean NOT NULL DEFAULT false,
    nth_within             text NOT NULL DEFAULT 'overall' CHECK (nth_within IN ('overall', 'campaign')),
    first_of_product       boolean NOT NULL DEFAULT false,
    awards_per_member      integer CHECK (awards_per_member >= 1),

    -- The effect: a fixed bonus, a multiplier of the base points (the award is the extra),
    -- a voucher for a catalogue reward, or an instant-win draw (campaign_prizes).
    effect                 text NOT NULL CHECK (effect IN ('bonus', 'multiplier', 'voucher', 'draw')),
    bonus_points           bigint CHECK (bonus_points BETWEEN 1 AND 100000000),
    multiplier             numeric(6, 2) CHECK (multiplier > 1 AND multiplier <= 100),
    voucher_reward_id      bigint REFERENCES rewards (id),

    -- Budgets (campaign_budgets holds what is left of the totals). An award that does not
    -- fit whole is not made; when_exhausted says what the claim gets then: 'stop' — the
    -- campaign steps aside, as if it did not match (a lower campaign may apply); 'base_only' —
    -- it still holds the claim (an exclusive one keeps others off), which earns its base points.
    budget_points          bigint CHECK (budget_points >= 1),
    budget_awards          bigint CHECK (budget_awards >= 1),
    member_points_per_day  bigint CHECK (member_points_per_day >= 1),
    member_points_per_week bigint CHECK (member_points_per_week >= 1),
    member_points          bigint CHECK (member_points >= 1),
    when_exhausted         text NOT NULL DEFAULT 'stop' CHECK (when_exhausted IN ('stop', 'base_only')),

    -- Abuse limits: awards per phone, per device cookie, per IP address, per local day.
    awards_per_phone_per_day   integer CHECK (awards_per_phone_per_day >= 1),
    awards_per_device_per_day  integer CHECK (awards_per_device_per_day >= 1),
    awards_per_ip_per_day      integer CHECK (awards_per_ip_per_day >= 1),

    created_at             timestamptz NOT NULL DEFAULT now(),
    created_by             text NOT NULL,
    PRIMARY KEY (campaign_id, version),
    CHECK (ends_at > starts_at),
    CHECK ((effect = 'bonus') = (bonus_points IS NOT NULL)),
    CHECK ((effect = 'multiplier') = (multiplier IS NOT NULL)),
    CHECK ((effect = 'voucher') = (voucher_reward_id IS NOT NULL)),
    CHECK ((hour_from IS NULL) = (hour_to IS NULL) AND (hour_from IS NULL OR hour_from <> hour_to)),
    CHECK ((segment = 'lapsed') = (lapsed_days IS NOT NULL))
);

-- An instant-win draw's prize table: each prize wins for its share of the million tickets
-- (probability_ppm), in prize order, and has its own stock (campaign_budgets 'prize:<key>').
CREATE TABLE campaign_prizes (
    campaign_id      bigint NOT NULL,
    version          integer NOT NULL,
    position         smallint NOT NULL CHECK (position BETWEEN 1 AND 50),
    key              text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name_zh          text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 100),
    name_en          text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 100),
    points           bigint CHECK (points BETWEEN 1 AND 100000000),
    reward_id        bigint REFERENCES rewards (id),
    probability_ppm  integer NOT NULL CHECK (probability_ppm BETWEEN 1 AND 1000000),
    stock            bigint NOT NULL CHECK (stock >= 1),
    PRIMARY KEY (campaign_id, version, position),
    UNIQUE (campaign_id, version, key),
    FOREIGN KEY (campaign_id, version) REFERENCES campaign_versions (campaign_id, version),
    CHECK ((points IS NULL) <> (reward_id IS NULL))
);

-- What is left of a campaign's budgets: 'points', 'awards' and each prize's stock
-- ('prize:<key>'). Like a reward's stock (0012), what is left is kept in 16 slices, so
-- concurrent claims take from different rows instead of queueing on one (take_campaign_budget).
-- total − sum(units) = what the awards used (I8).
CREATE TABLE campaign_budgets (
    campaign_id  bigint NOT NULL REFERENCES campaigns (id),
    budget       text NOT NULL CHECK (budget ~ '^(points|awards|prize:[a-z0-9][a-z0-9_-]{0,31})$'),
    total        bigint NOT NULL CHECK (total >= 0),
    PRIMARY KEY (campaign_id, budget)
);
CREATE TABLE campaign_budget_slices (
    campaign_id  bigint NOT NULL,
    budget       text NOT NULL,
    slice        smallint NOT NULL CHECK (slice BETWEEN 0 AND 15),
    units        bigint NOT NULL CHECK (units >= 0),
    PRIMARY KEY (campaign_id, budget, slice),
    FOREIGN KEY (campaign_id, budget) REFERENCES campaign_budgets (campaign_id, budget)
);

-- One row per claim a campaign matched, awarded or not: the reports count them by day.
-- A code is matched by a campaign at most once: apply_campaigns runs once, in the claim's
-- transaction, and a code is claimed once (the claims' primary key), so no index of its own
-- is spent on that here. No foreign keys either: each would cost every award a look-up and a
-- share lock on its campaign's one row, which all concurrent claims would take together. Awards
-- are written only by apply_campaigns, for the version it read; campaigns and versions are
-- never deleted; `tally check` (I9) holds every award to its version.
CREATE TABLE campaign_awards (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    campaign_id      bigint NOT NULL,
    version          integer NOT NULL,
    member_id        uuid NOT NULL,
    kid              smallint NOT NULL,
    serial           bigint NOT NULL,
    -- awarded; no_prize (a draw's ticket won nothing); out_of_stock (its prize had none
    -- left); budget_exhausted; limit_reached (an abuse limit).
    outcome          text NOT NULL CHECK (outcome IN ('awarded', 'no_prize', 'out_of_stock', 'budget_exhausted', 'limit_reached')),
    points           bigint NOT NULL DEFAULT 0 CHECK (points >= 0),
    ledger_entry_id  bigint,
    prize            text,
    reward_id        bigint,
    redemption_id    uuid,
    ticket           integer CHECK (ticket BETWEEN 0 AND 999999),
    awarded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, id),
    CHECK ((outcome = 'awarded') = (points > 0 OR redemption_id IS NOT NULL))
);
-- A member's awards from one campaign: per-member budgets and limits, counted under the
-- member's lock (and a merge moves them to the survivor).
CREATE INDEX campaign_awards_by_member ON campaign_awards (member_id, campaign_id, awarded_at);

-- Abuse limits: awards per phone, device and address per campaign and local day. The upsert
-- that counts an award also holds the row until commit, so two claims from one address take
-- turns and the limit is exact.
CREATE TABLE campaign_limit_counts (
    campaign_id  bigint NOT NULL,
    day          date NOT NULL,
    subject      text NOT NULL,
    awards       integer NOT NULL CHECK (awards >= 0),
    PRIMARY KEY (campaign_id, day, subject)
);

-- Every change of a campaign: who, when, what (the campaign before and after, as the API
-- shows it).
CREATE TABLE campaign_changes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns (id),
    version      integer NOT NULL,
    action       text NOT NULL CHECK (action IN ('created', 'updated', 'scheduled', 'paused', 'resumed', 'ended')),
    actor        text NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    before       jsonb,
    after        jsonb NOT NULL
);
CREATE INDEX campaign_changes_by_campaign ON campaign_changes (campaign_id, id);

-- An award's points are a ledger entry of kind 'campaign' and a lot of source 'campaign',
-- naming the code that earned them and the campaign's version.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN (
    'claim', 'campaign', 'redemption', 'redemption_cancel', 'adjustment', 'expiry', 'merge_in', 'merge_out'));
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_code_check
    CHECK ((kind IN ('claim', 'campaign')) = (kid IS NOT NULL AND serial IS NOT NULL));
ALTER TABLE ledger_entries ADD COLUMN campaign_id bigint, ADD COLUMN campaign_version integer;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_campaign_check
    CHECK ((kind = 'campaign') = (campaign_id IS NOT NULL AND campaign_version IS NOT NULL));
ALTER TABLE point_lots DROP CONSTRAINT point_lots_source_check;
ALTER TABLE point_lots ADD CONSTRAINT point_lots_source_check CHECK (source IN ('claim', 'campaign', 'adjustment'));

-- A campaign's voucher is a redemption that cost nothing (points 0). It has no ledger entry:
-- its ledger_entry_id is a number drawn from the ledger's sequence with no entry behind it,
-- which orders it among the member's redemptions as the entries' ids order the others.
ALTER TABLE redemptions DROP CONSTRAINT redemptions_points_check;
ALTER TABLE redemptions ADD CONSTRAINT redemptions_points_check CHECK (points >= 0);

ALTER TABLE webhook_subscriptions DROP CONSTRAINT webhook_subscriptions_event_types_check;
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_event_types_check
    CHECK (cardinality(event_types) > 0 AND event_types <@ ARRAY[
        'member.created', 'points.credited', 'points.debited', 'points.expired',
        'redemption.created', 'redemption.cancelled', 'member.merged', 'tier.changed',
        'campaign.awarded']::text[]);

ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check CHECK (
    cardinality(scopes) > 0
    AND scopes <@ ARRAY['mint', 'claim', 'crm:read', 'crm:write', 'redeem', 'campaigns', 'admin']::text[]);

-- A campaign award's credit, as apply_campaigns hands it to credit_points with the claim's own.
CREATE TYPE campaign_credit AS (entry bigint, points bigint, campaign bigint, version integer);

-- An API claim's awards, replayed with its result.
ALTER TABLE idempotency_keys ADD COLUMN claim_awards jsonb;

-- claim_code takes the device and returns the awards; credit_points takes the campaign;
-- api_claim returns the awards (db/functions creates the new ones right after).
DROP FUNCTION IF EXISTS claim_code(
    smallint, bigint, uuid, text, integer, text, inet, text, double precision, double precision, real);
DROP FUNCTION IF EXISTS credit_points(
    uuid, bigint, text, text, integer, text, text, smallint, bigint, bigint, text, text, bigint, timestamptz);
DROP FUNCTION IF EXISTS api_claim(
    uuid, text, text, bytea, boolean, text, text, text, smallint, bigint,
    integer, text, inet, text, double precision, double precision);
DROP PROCEDURE IF EXISTS api_claim_batch(
    uuid[], text[], text[], bytea[], boolean[], text[], text[], text[], smallint[], bigint[],
    integer, text, text[], text[], double precision[], double precision[],
    text[], uuid[], integer[], bigint[], integer[], bytea[], text[], text[]);
