CREATE OR REPLACE FUNCTION redemption_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A merge moving the absorbed member's redemptions to the survivor (merge_members.sql).
    IF current_setting('tally.moving_redemptions', true) = 'on' THEN RETURN NULL; END IF;
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
