-- Webhook events and their deliveries are keyed by their member, as the member's other rows
-- are: on Citus they live in the member's shard (db/citus/distribution.sql), where the event
-- triggers on members, the ledger and redemptions run and write them, and every key there
-- must hold the shard key. Every event is about a member. Plain PostgreSQL keeps the same
-- keys: one schema for both.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_fkey;
ALTER TABLE outbox_events ALTER COLUMN member_id SET NOT NULL;
ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_pkey;
ALTER TABLE outbox_events ADD PRIMARY KEY (member_id, id);

ALTER TABLE webhook_deliveries ADD COLUMN member_id uuid;
UPDATE webhook_deliveries d SET member_id = e.member_id FROM outbox_events e WHERE e.id = d.event_id;
ALTER TABLE webhook_deliveries ALTER COLUMN member_id SET NOT NULL;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey;
ALTER TABLE webhook_deliveries ADD PRIMARY KEY (member_id, id);
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_subscription_id_event_id_key;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_event_subscription_key UNIQUE (member_id, event_id, subscription_id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_event_fkey
    FOREIGN KEY (member_id, event_id) REFERENCES outbox_events (member_id, id);
