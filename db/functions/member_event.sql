CREATE OR REPLACE FUNCTION member_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM emit_event('member.created', NEW.id, jsonb_build_object('member_id', NEW.id));
    ELSIF NEW.tier IS DISTINCT FROM OLD.tier AND NEW.merged_into IS NULL THEN
        PERFORM emit_event('tier.changed', NEW.id, jsonb_build_object('member_id', NEW.id, 'from', OLD.tier, 'to', NEW.tier));
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER members_events AFTER INSERT OR UPDATE OF tier ON members
    FOR EACH ROW EXECUTE FUNCTION member_event();
