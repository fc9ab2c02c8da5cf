-- Counts each statement's new members into rollup_days (0015_rollups.sql), by the day of
-- created_at in the programme's rollup time zone. A merge creates no member and removes none:
-- new members count records as created.
CREATE OR REPLACE FUNCTION rollup_members() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_zone text := (SELECT s.rollup_time_zone FROM programme_settings s);
    v_slot smallint := rollup_slot();
BEGIN
    INSERT INTO rollup_days AS r (day, slot, new_members)
    SELECT (m.created_at AT TIME ZONE v_zone)::date, v_slot, count(*) FROM new_members m GROUP BY 1 ORDER BY 1
    ON CONFLICT (day, slot) DO UPDATE SET new_members = r.new_members + excluded.new_members;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER rollup_members AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_members
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_members();
