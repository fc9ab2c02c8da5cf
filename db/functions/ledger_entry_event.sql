-- Events for every points movement, from the ledger itself, so no path can forget one. It asks
-- first whether anyone subscribes to the event: with no subscription to points.credited, a
-- claim builds no payload only to throw it away.
CREATE OR REPLACE FUNCTION ledger_entry_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_type text;
BEGIN
    IF NEW.kind IN ('merge_in', 'merge_out') THEN RETURN NULL; END IF;
    v_type := CASE WHEN NEW.kind = 'expiry' THEN 'points.expired'
                   WHEN NEW.points > 0 THEN 'points.credited' ELSE 'points.debited' END;
    -- emit_event asks again (it serves every event); asking here first spares the payload.
    IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions s
                   WHERE s.active AND s.deleted_at IS NULL AND v_type = ANY (s.event_types)) THEN
        RETURN NULL;
    END IF;
    PERFORM emit_event(v_type, NEW.member_id,
        jsonb_strip_nulls(jsonb_build_object(
            'member_id', NEW.member_id, 'entry_id', NEW.id, 'kind', NEW.kind, 'points', NEW.points,
            'balance_after', NEW.balance_after, 'reason', NEW.reason,
            'code_serial', NEW.serial, 'code_kid', NEW.kid)));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER ledger_entries_events AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_event();
