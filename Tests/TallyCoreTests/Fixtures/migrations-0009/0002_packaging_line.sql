-- Packaging line: idempotent writes and the export audit trail.

-- The first answer to each write, by who asked (an API key or a CLI user) and their
-- Idempotency-Key, written in the same transaction as the write itself: a retry gets
-- the stored answer, and a crash cannot leave a write without its record or the reverse.
CREATE TABLE idempotency_keys (
    actor         text NOT NULL,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    -- SHA-256 of method, path and body: the same key with another request is refused.
    request_hash  bytea NOT NULL CHECK (length(request_hash) = 32),
    status        smallint NOT NULL,
    response      bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_keys_by_time ON idempotency_keys USING brin (created_at);

-- Code files are secrets until printed: every export says who took which codes, when.
CREATE TABLE export_audit (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id        bigint NOT NULL REFERENCES batches (id),
    actor           text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('csv', 'txt', 'svg', 'png', 'zip')),
    first_sequence  bigint NOT NULL CHECK (first_sequence >= 0),
    count           bigint NOT NULL CHECK (count >= 1),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX export_audit_by_batch ON export_audit (batch_id, id);
