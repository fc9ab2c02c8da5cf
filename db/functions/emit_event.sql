-- Writes an event and its deliveries, if anybody subscribes to its type. Both are the member's
-- rows (on Citus, in the member's shard, where the event triggers run).
CREATE OR REPLACE FUNCTION emit_event(p_type text, p_member uuid, p_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
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
    INSERT INTO webhook_deliveries (member_id, event_id, subscription_id)
        SELECT p_member, v_event, s.id FROM webhook_subscriptions s
        WHERE s.active AND s.deleted_at IS NULL AND p_type = ANY (s.event_types);
    -- Wake the delivery service at once, except for points.credited: it comes with every
    -- claim, and PostgreSQL commits notifying transactions one at a time. The service also
    -- looks every second. Not on Citus: there the triggers run on the workers, in transactions
    -- committed in two phases, which cannot notify; the service finds the events by looking.
    IF p_type <> 'points.credited' AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM pg_notify('tally_webhooks', '');
    END IF;
END;
$$;
