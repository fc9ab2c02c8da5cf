-- The claim API's answer leaves SQL: api_claim returns the claim's result (outcome, member,
-- points, balance) and the server writes the JSON body and picks the HTTP status.
--
-- An API claim's Idempotency-Key keeps that result, from which the server writes the same
-- body again on a retry (the code in it is the request's, and a retry's request is the same).
-- Keys stored before this migration keep their status and body, replayed as they are.
ALTER TABLE idempotency_keys
    ADD COLUMN claim_member uuid,
    ADD COLUMN claim_points integer,
    ADD COLUMN claim_balance bigint;
COMMENT ON COLUMN idempotency_keys.status IS 'The stored answer''s HTTP status; 0 for an API claim''s result (claim_*).';
COMMENT ON COLUMN idempotency_keys.claim_member IS 'An API claim''s result (api_claim): the member credited, the points and the balance after.';

-- DROP FUNCTION: api_claim and api_claim_batch return the result instead of a status and
-- body (and take no code text, which only went into the body). CREATE OR REPLACE cannot
-- change a function's result columns, so the old ones are dropped here and db/functions
-- creates the new ones right after, in the same transaction. (IF EXISTS: on a fresh
-- database no migration created them.)
DROP FUNCTION IF EXISTS api_claim(
    uuid, text, text, bytea, boolean, text, text, text, smallint, bigint, text,
    integer, text, inet, text, double precision, double precision);
DROP PROCEDURE IF EXISTS api_claim_batch(
    uuid[], text[], text[], bytea[], boolean[], text[], text[], text[], smallint[], bigint[], text[],
    integer, text, text[], text[], double precision[], double precision[],
    integer[], bytea[], boolean[], text[], text[]);
