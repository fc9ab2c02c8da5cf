CREATE OR REPLACE FUNCTION redemption_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM emit_event(
            CASE WHEN NEW.status = 'cancelled' THEN 'redemption.cancelled' ELSE 'redemption.created' END,
            NEW.member_id,
            jsonb_build_object('member_id', NEW.member_id, 'redemption_id', NEW.id, 'reward_id', NEW.reward_id,
                               'quantity', NEW.quantity, 'points', NEW.points, 'voucher', NEW.voucher,
                               'channel', NEW.channel));
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER redemptions_events AFTER INSERT OR UPDATE OF status ON redemptions
    FOR EACH ROW EXECUTE FUNCTION redemption_event();
