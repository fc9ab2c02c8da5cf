-- Tally schema v1: products, code batches, members and their identities,
-- the points ledger, claims, scans and API keys.
--
-- Sharding note (Citus): member data is keyed by member_id, claims by the code
-- (kid, serial); every unique key below includes its table's future shard column.

-- btree_gist lets one exclusion constraint combine "same kid" (=) with "ranges overlap" (&&).
-- It is a trusted extension: a database owner may create it without being superuser.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE products (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku             text NOT NULL UNIQUE CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    gtin            char(14) UNIQUE CHECK (gtin ~ '^[0-9]{14}$'),
    image_url       text CHECK (length(image_url) <= 2000),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    default_points  integer NOT NULL CHECK (default_points BETWEEN 0 AND 1000000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The next free serial under each key id. Touched only when a batch is created,
-- never by a claim. Serials are 40 bits: 0 ..< 2^40.
CREATE TABLE serial_counters (
    kid          smallint PRIMARY KEY CHECK (kid BETWEEN 0 AND 31),
    next_serial  bigint NOT NULL DEFAULT 0 CHECK (next_serial BETWEEN 0 AND 1099511627776)
);

-- A batch is one row for all its codes: a contiguous serial range under one kid.
-- Nothing is stored per printed code.
CREATE TABLE batches (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id       bigint NOT NULL REFERENCES products (id),
    kid              smallint NOT NULL CHECK (kid BETWEEN 0 AND 31),
    first_serial     bigint NOT NULL CHECK (first_serial >= 0),
    quantity         bigint NOT NULL CHECK (quantity BETWEEN 1 AND 50000000),
    serials          int8range GENERATED ALWAYS AS (int8range(first_serial, first_serial + quantity)) STORED,
    points_per_code  integer NOT NULL CHECK (points_per_code BETWEEN 0 AND 1000000),
    lot              text CHECK (length(lot) <= 64),
    production_date  date,
    expiry_date      date,
    region           text CHECK (length(region) <= 64),
    channel          text CHECK (length(channel) <= 64),
    url_form         text NOT NULL DEFAULT 'short' CHECK (url_form IN ('short', 'gs1')),
    created_by       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (first_serial + quantity <= 1099511627776),
    CHECK (expiry_date IS NULL OR production_date IS NULL OR expiry_date >= production_date),
    -- Two batches under the same kid never share a serial: enforced by the database itself.
    CONSTRAINT batches_serials_do_not_overlap EXCLUDE USING gist (kid WITH =, serials WITH &&)
);

-- Batch lifecycle as an append-only log over sub-ranges of a batch: a code's state is
-- the newest change whose range holds it, or 'created' when there is none.
CREATE TABLE batch_state_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id    bigint NOT NULL REFERENCES batches (id),
    kid         smallint NOT NULL CHECK (kid BETWEEN 0 AND 31),
    serials     int8range NOT NULL CHECK (NOT isempty(serials)),
    state       text NOT NULL CHECK (state IN ('active', 'voided')),
    reason      text CHECK (length(reason) <= 500),
    actor       text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX batch_state_changes_by_code ON batch_state_changes USING gist (kid, serials);
CREATE INDEX batch_state_changes_by_batch ON batch_state_changes (batch_id, id);

CREATE TABLE members (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- balance = sum of this member's ledger entries, kept in the same transaction (I2).
    balance            bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
    lifetime_earned    bigint NOT NULL DEFAULT 0 CHECK (lifetime_earned >= 0),
    lifetime_redeemed  bigint NOT NULL DEFAULT 0 CHECK (lifetime_redeemed >= 0),
    lifetime_expired   bigint NOT NULL DEFAULT 0 CHECK (lifetime_expired >= 0),
    tier               text,
    -- Set when this record was merged into another; the survivor holds everything.
    merged_into        uuid REFERENCES members (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (merged_into IS NULL OR merged_into <> id)
);

-- How a person is known to each channel: phone (E.164), wechat_unionid, tmall, jd, ...
-- Unique per channel: one external id belongs to one member.
CREATE TABLE member_identities (
    channel      text NOT NULL CHECK (channel ~ '^[a-z][a-z0-9_]{1,31}$'),
    external_id  text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    member_id    uuid NOT NULL REFERENCES members (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX member_identities_by_member ON member_identities (member_id);

-- The points ledger: append-only. Credits are positive, debits negative.
CREATE TABLE ledger_entries (
    member_id      uuid NOT NULL REFERENCES members (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    kind           text NOT NULL CHECK (kind IN ('claim', 'redemption', 'redemption_cancel', 'adjustment', 'expiry', 'merge_in', 'merge_out')),
    points         bigint NOT NULL CHECK (points <> 0),
    balance_after  bigint NOT NULL CHECK (balance_after >= 0),
    -- For kind 'claim': the code that earned the points.
    kid            smallint,
    serial         bigint,
    reason         text CHECK (length(reason) <= 500),
    actor          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, id),
    CHECK ((kind = 'claim') = (kid IS NOT NULL AND serial IS NOT NULL))
);
CREATE INDEX ledger_entries_by_time ON ledger_entries USING brin (created_at);

CREATE FUNCTION ledger_entries_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_are_append_only();

-- A claim: the one time a code's points were credited (I1). The primary key is the
-- code itself, so a second claim of the same code, concurrent or later, inserts nothing.
CREATE TABLE claims (
    kid              smallint NOT NULL CHECK (kid BETWEEN 0 AND 31),
    serial           bigint NOT NULL CHECK (serial >= 0),
    batch_id         bigint NOT NULL REFERENCES batches (id),
    member_id        uuid NOT NULL,
    ledger_entry_id  bigint NOT NULL,
    points           integer NOT NULL CHECK (points >= 0),
    channel          text NOT NULL,
    claimed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kid, serial),
    FOREIGN KEY (member_id, ledger_entry_id) REFERENCES ledger_entries (member_id, id)
);
CREATE INDEX claims_by_member ON claims (member_id, claimed_at);

-- Every scan of the landing page or API check, genuine or not: the raw material for
-- counterfeit and diversion reports. Written in bulk, off the claim path, no foreign keys.
CREATE TABLE scans (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scanned_at   timestamptz NOT NULL DEFAULT now(),
    result       text NOT NULL,
    kid          smallint,
    serial       bigint,
    input        text CHECK (length(input) <= 200),
    member_id    uuid,
    ip           inet,
    user_agent   text CHECK (length(user_agent) <= 500),
    latitude     double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude    double precision CHECK (longitude BETWEEN -180 AND 180),
    accuracy_m   real
);
CREATE INDEX scans_by_code ON scans (kid, serial) WHERE serial IS NOT NULL;
CREATE INDEX scans_by_time ON scans USING brin (scanned_at);

-- API keys: the secret is shown once; only its SHA-256 is kept (secrets are 256 random bits,
-- so a fast hash is the right tool). The prefix identifies the key in logs and listings.
CREATE TABLE api_keys (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix        text NOT NULL UNIQUE,
    secret_hash   bytea NOT NULL CHECK (length(secret_hash) = 32),
    scopes        text[] NOT NULL CHECK (
                      cardinality(scopes) > 0
                      AND scopes <@ ARRAY['mint', 'claim', 'crm:read', 'crm:write', 'redeem', 'admin']::text[]),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
