-- The brand console's staff (issue 18): people, not programs, so separate from API keys.
--
-- A password is kept as a bcrypt hash (slow on purpose: a staff password has far less
-- entropy than an API key's 256 bits). The second factor is a TOTP secret (RFC 6238),
-- required for admins. Repeated wrong sign-ins lock the account for a while.
CREATE TABLE staff (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    role              text NOT NULL CHECK (role IN ('viewer', 'service', 'marketer', 'packaging', 'admin')),
    password_hash     text NOT NULL CHECK (password_hash LIKE '$2%'),
    -- Base32, as authenticator apps take it; NULL when the account has no second factor.
    totp_secret       text CHECK (totp_secret ~ '^[A-Z2-7]{16,64}$'),
    -- The last TOTP time step used to sign in: a code is good once.
    totp_last_step    bigint,
    failed_sign_ins   integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    locked_until      timestamptz,
    disabled_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'admin' OR totp_secret IS NOT NULL)
);

-- A signed-in browser. The cookie holds a random id (and an HMAC of it); the table holds only
-- the id's SHA-256, so a copy of the table signs nobody in. A session ends at the first of:
-- sign-out, `expires_at` (absolute), idle longer than the server's idle limit, the account
-- disabled or reset.
CREATE TABLE staff_sessions (
    id_hash       bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    staff_id      bigint NOT NULL REFERENCES staff (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    ip            inet,
    user_agent    text CHECK (length(user_agent) <= 500)
);
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id) WHERE ended_at IS NULL;

-- Every change a staff member makes through the console (and the `tally staff` commands):
-- who, when, what, and the thing before and after as the console showed it. Append-only.
CREATE TABLE staff_audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint REFERENCES staff (id),
    actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
    action      text NOT NULL CHECK (action ~ '^[a-z_.]{1,64}$'),
    target      text CHECK (length(target) <= 200),
    before      jsonb,
    after       jsonb,
    ip          inet,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_audit_by_time ON staff_audit (at DESC, id DESC);
CREATE INDEX staff_audit_by_staff ON staff_audit (staff_id, id DESC);
-- Append-only: the trigger is in db/functions/staff_audit_is_append_only.sql.
