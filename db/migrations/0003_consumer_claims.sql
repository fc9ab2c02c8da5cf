-- Consumer scans and claims: one-time sign-in codes, and the claim itself as one
-- function call (claim_code, in db/functions), so that a claim costs a single round trip
-- to the database.

-- Every claim credits points and appends exactly one ledger entry (I1), so a batch
-- must be worth at least one point per code.
ALTER TABLE batches ADD CONSTRAINT batches_points_positive CHECK (points_per_code >= 1) NOT VALID;

-- The claim is inserted before its ledger entry (so that a second claim of the same code
-- stops at the claim's primary key before touching any balance); the reference to the
-- ledger entry is checked at commit.
ALTER TABLE claims DROP CONSTRAINT claims_member_id_ledger_entry_id_fkey;
ALTER TABLE claims ADD CONSTRAINT claims_ledger_entry_fkey
    FOREIGN KEY (member_id, ledger_entry_id) REFERENCES ledger_entries (member_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE claims ADD CONSTRAINT claims_member_fkey FOREIGN KEY (member_id) REFERENCES members (id);

-- One-time sign-in codes, stored as an HMAC (never the code), single use, short-lived.
CREATE TABLE otp_challenges (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    phone        text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    code_hash    bytea NOT NULL CHECK (length(code_hash) = 32),
    ip           inet,
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz
);
CREATE INDEX otp_challenges_by_phone ON otp_challenges (phone, created_at DESC);
CREATE INDEX otp_challenges_by_ip ON otp_challenges (ip, created_at DESC);
