-- Tally on Citus: where each table lives. `tally migrate` applies this file on a Citus
-- coordinator (a database with the citus extension) after the migrations and the functions,
-- every time, one statement per transaction: Citus distributes a table in a transaction of its
-- own. Every statement is idempotent, so a migrate stopped half-way is finished by the next.
-- On plain PostgreSQL it is never read. The design and its reasons: docs/scale.md.
--
-- A migration that creates a table adds it here. One that changes a rollup table (the
-- node-local copies, at the end) changes every node's copy: see docs/scale.md.

-- Tally's triggers run where the rows are (on the shards): the ledger's append-only guard,
-- the events, the rollups. Citus calls triggers on distributed tables unsafe because a trigger
-- could reach rows in other shards; Tally's touch only their own node's tables (co-located
-- shards, reference tables, node-local rollups). The migrator allows them in its session.
SET citus.enable_unsafe_triggers = on;

-- A statement that writes many shards (a batch of scans) uses one connection per worker: two
-- backends of one transaction on one worker could otherwise wait on each other's rollup rows
-- (db/functions/rollup_slot.sql), a deadlock Citus can only break by cancelling. And a stopped
-- worker is reported within 2 s, so that the server answers 503 fast.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET citus.multi_shard_modify_mode = %L', current_database(), 'sequential'); END $$;
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET citus.node_connection_timeout = %L', current_database(), '2000'); END $$;

-- The helpers live in pg_temp: this session's only, never propagated to the workers. A table
-- with rows (a database moved onto Citus) has them copied into its shards with its triggers
-- off: the rows were counted in the rollups and sent as events when they were written.
CREATE OR REPLACE FUNCTION pg_temp.reference_table(p_table regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_name text := p_table::text; -- Citus may make the table anew, under another oid
BEGIN
    IF NOT EXISTS (SELECT 1 FROM citus_tables t WHERE t.table_name = p_table AND t.citus_table_type = 'reference') THEN
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER USER', v_name);
        PERFORM create_reference_table(p_table);
        EXECUTE format('ALTER TABLE %s ENABLE TRIGGER USER', v_name);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION pg_temp.distributed_table(p_table regclass, p_column text, p_colocate_with text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_name text := p_table::text; -- Citus may make the table anew, under another oid
BEGIN
    IF NOT EXISTS (SELECT 1 FROM citus_tables t WHERE t.table_name = p_table AND t.citus_table_type = 'distributed') THEN
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER USER', v_name);
        PERFORM create_distributed_table(p_table, p_column, colocate_with => p_colocate_with);
        EXECUTE format('ALTER TABLE %s ENABLE TRIGGER USER', v_name);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION pg_temp.foreign_key(p_table regclass, p_name text, p_definition text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = p_table AND c.conname = p_name) THEN
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', p_table, p_name, p_definition);
    END IF;
END;
$$;

-- Makes each worker's own copy of a table (its definition as on the coordinator) where it is
-- missing: the dashboard rollups, which every node keeps for the rows it stores.
CREATE OR REPLACE FUNCTION pg_temp.node_local_table(p_table regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_ddl text;
BEGIN
    SELECT string_agg(format('EXECUTE %L;', d), ' ') INTO v_ddl FROM master_get_table_ddl_events(p_table::text) d;
    PERFORM run_command_on_workers(format(
        'DO $ddl$ BEGIN IF to_regclass(%L) IS NULL THEN %s END IF; END $ddl$', p_table::text, v_ddl));
END;
$$;

-- Keys Citus cannot keep. A foreign key between tables on different keys, and a unique key
-- without the table's shard key, cannot be checked inside one shard. What they guarded is
-- kept by the one function that writes each table, and checked by `tally check`.
ALTER TABLE members DROP CONSTRAINT IF EXISTS members_merged_into_fkey;
ALTER TABLE member_identities DROP CONSTRAINT IF EXISTS member_identities_member_id_fkey;
ALTER TABLE claims DROP CONSTRAINT IF EXISTS claims_ledger_entry_fkey;
ALTER TABLE member_merges DROP CONSTRAINT IF EXISTS member_merges_survivor_id_fkey;
ALTER TABLE member_merges DROP CONSTRAINT IF EXISTS member_merges_pkey;
ALTER TABLE redemptions DROP CONSTRAINT IF EXISTS redemptions_id_key;
ALTER TABLE redemptions DROP CONSTRAINT IF EXISTS redemptions_voucher_key;

-- Foreign keys between a member's tables: dropped while the tables are distributed one by one
-- (Citus refuses a key between a distributed table and one not distributed yet), and added
-- back at the end, once both sides are co-located.
ALTER TABLE ledger_entries DROP CONSTRAINT IF EXISTS ledger_entries_member_id_fkey;
ALTER TABLE point_lots DROP CONSTRAINT IF EXISTS point_lots_member_id_fkey;
ALTER TABLE redemptions DROP CONSTRAINT IF EXISTS redemptions_member_id_fkey;
ALTER TABLE member_merges DROP CONSTRAINT IF EXISTS member_merges_absorbed_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_event_fkey;
-- (And a key to a reference table: Citus would make the table holding it a local one.)
ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_subscription_id_fkey;

-- The dashboard rollups: kept by statement triggers on claims, scans, members and the ledger
-- (db/functions/rollup_*.sql), which run on the node that stores the rows. Each node keeps
-- its own counts in plain tables of its own, in the same transaction as the rows; a reader
-- adds up every node's (see rollup_rows.sql). The coordinator's copies are the migrations'.
-- Made first: the triggers go onto the shards with their tables.
SELECT pg_temp.node_local_table('rollup_days');
SELECT pg_temp.node_local_table('rollup_activity');
SELECT pg_temp.node_local_table('rollup_products');
SELECT pg_temp.node_local_table('rollup_channels');
SELECT pg_temp.node_local_table('rollup_scan_places');

-- Reference tables: small, read by every claim, written rarely; a copy on every node.
SELECT pg_temp.reference_table('products');
SELECT pg_temp.reference_table('serial_counters');
SELECT pg_temp.reference_table('batches');
SELECT pg_temp.reference_table('batch_state_changes');
SELECT pg_temp.reference_table('programme_settings');
SELECT pg_temp.reference_table('tiers');
SELECT pg_temp.reference_table('rewards');
SELECT pg_temp.reference_table('provinces');
SELECT pg_temp.reference_table('campaigns');
SELECT pg_temp.reference_table('campaign_versions');
SELECT pg_temp.reference_table('campaign_prizes');
SELECT pg_temp.reference_table('webhook_subscriptions');
SELECT pg_temp.reference_table('api_keys');
SELECT pg_temp.reference_table('staff');

-- A member and everything that is theirs, in one shard: by member id.
SELECT pg_temp.distributed_table('members', 'id', 'default');
SELECT pg_temp.distributed_table('ledger_entries', 'member_id', 'members');
SELECT pg_temp.distributed_table('point_lots', 'member_id', 'members');
SELECT pg_temp.distributed_table('lot_debits', 'member_id', 'members');
SELECT pg_temp.distributed_table('member_points_expiring', 'member_id', 'members');
SELECT pg_temp.distributed_table('redemptions', 'member_id', 'members');
SELECT pg_temp.distributed_table('member_merges', 'absorbed_id', 'members');
-- Webhook events and their deliveries, written by the triggers on a member's rows (on the shard).
SELECT pg_temp.distributed_table('outbox_events', 'member_id', 'members');
SELECT pg_temp.distributed_table('webhook_deliveries', 'member_id', 'members');
-- Campaign awards with their member: a claim counts the member's awards (per-member budgets)
-- on its shard, and a merge moves them. Their primary key takes the member, as Citus needs.
ALTER TABLE campaign_awards DROP CONSTRAINT IF EXISTS campaign_awards_pkey;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint c
                   WHERE c.conrelid = 'campaign_awards'::regclass AND c.conname = 'campaign_awards_member_pkey') THEN
        ALTER TABLE campaign_awards ADD CONSTRAINT campaign_awards_member_pkey PRIMARY KEY (campaign_id, id, member_id);
    END IF;
END;
$$;
SELECT pg_temp.distributed_table('campaign_awards', 'member_id', 'members');

-- A claim by its code (the serial; the primary key is the code), and the scans with them, by
-- their code too (code_key, migration 0021): a claim's own scan is written on its claim's shard,
-- so that a claim needs no other worker. The primary key takes the shard key on Citus (the
-- table is partitioned by month; Citus distributes each partition, and those the jobs attach
-- later, the same way).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint c
                   WHERE c.conrelid = 'scans'::regclass AND c.conname = 'scans_code_pkey') THEN
        ALTER TABLE scans DROP CONSTRAINT IF EXISTS scans_pkey;
        ALTER TABLE scans ADD CONSTRAINT scans_code_pkey PRIMARY KEY (id, scanned_at, code_key);
    END IF;
END;
$$;
SELECT pg_temp.distributed_table('claims', 'serial', 'none');
SELECT pg_temp.distributed_table('scans', 'code_key', 'claims');
-- A database distributed before 0021 keeps its scans by id (Citus cannot move a table with an
-- identity column to another shard key): it works, but a claim there also needs the worker of
-- its scan's shard. Said at every migrate, so that it is not forgotten (docs/scale.md).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM citus_tables t WHERE t.table_name = 'scans'::regclass AND t.distribution_column <> 'code_key') THEN
        RAISE NOTICE 'scans are distributed by id, from before migration 0021: a claim also needs its scan''s worker (docs/scale.md)';
    END IF;
END;
$$;

-- Identities by their own key: a claim finds its member by phone or channel id in one shard.
SELECT pg_temp.distributed_table('member_identities', 'external_id', 'none');

SELECT pg_temp.foreign_key('ledger_entries', 'ledger_entries_member_id_fkey', 'FOREIGN KEY (member_id) REFERENCES members (id)');
SELECT pg_temp.foreign_key('point_lots', 'point_lots_member_id_fkey', 'FOREIGN KEY (member_id) REFERENCES members (id)');
SELECT pg_temp.foreign_key('redemptions', 'redemptions_member_id_fkey', 'FOREIGN KEY (member_id) REFERENCES members (id)');
SELECT pg_temp.foreign_key('member_merges', 'member_merges_absorbed_id_fkey', 'FOREIGN KEY (absorbed_id) REFERENCES members (id)');
SELECT pg_temp.foreign_key('webhook_deliveries', 'webhook_deliveries_event_fkey', 'FOREIGN KEY (member_id, event_id) REFERENCES outbox_events (member_id, id)');
SELECT pg_temp.foreign_key('webhook_deliveries', 'webhook_deliveries_subscription_id_fkey', 'FOREIGN KEY (subscription_id) REFERENCES webhook_subscriptions (id)');

-- Everything else stays on the coordinator: written by staff or the jobs, or per campaign
-- (idempotency_keys, export_audit, otp_challenges, reward_stock, campaign_budgets,
-- campaign_budget_slices, campaign_limit_counts, campaign_changes, staff_sessions, staff_audit,
-- rollup_repeat_claims).
