-- lock_member no longer locks a merged-away member, only its survivor.
--
-- As written in 0004 it locked the merged-away member first and its survivor second, whatever
-- their ids. A later merge of the survivor locks both rows too (the absorbed member's earlier
-- merges point at the new survivor), in id order. With the two orders racing, a run of the
-- CRM random test saw dozens of deadlocks, and now and then one request lost four in a row
-- and answered 500.
--
-- A merged-away row never changes again except to point at a later survivor, which only a
-- merge of its survivor does, and that waits for the survivor's lock. So the lock on the
-- survivor alone keeps the member's points still. (If the member is merged while this waits
-- for its lock, PostgreSQL keeps the row it waited for locked, as before; that race is rare.)
CREATE OR REPLACE FUNCTION lock_member(p_member uuid, OUT member_id uuid, OUT balance bigint) LANGUAGE plpgsql AS $$
BEGIN
    -- The common case, a member not merged away: one statement, as before.
    SELECT m.balance INTO balance FROM members m WHERE m.id = p_member AND m.merged_into IS NULL FOR UPDATE;
    member_id := p_member;
    -- Merged away (or merged while this waited for the lock): lock the survivor. If the
    -- survivor is merged in turn before its lock is granted, follow it to its own survivor.
    -- Each step goes to a member not merged when it was read, so the walk ends.
    WHILE NOT FOUND LOOP
        SELECT coalesce(m.merged_into, m.id) INTO member_id FROM members m WHERE m.id = lock_member.member_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'member % does not exist', p_member USING ERRCODE = 'no_data_found';
        END IF;
        SELECT m.balance INTO balance FROM members m
            WHERE m.id = lock_member.member_id AND m.merged_into IS NULL FOR UPDATE;
    END LOOP;
    -- Points past their expiry are written off before any change, so they are never spent,
    -- whether or not the expiry job has come by yet.
    IF EXISTS (SELECT 1 FROM point_lots l WHERE l.member_id = lock_member.member_id
               AND l.remaining > 0 AND l.expires_at <= now()) THEN
        balance := balance - expire_member_lots(member_id);
    END IF;
END;
$$;
