-- DROP FUNCTION: campaign_conditions_hold takes its campaign_versions row as anyelement, and
-- campaign_prize returns columns of its own, not a campaign_prizes row (see their files: on
-- Citus a reference table's rows are read from its local copy, whose row type is not the
-- table's). The functions with the old types go; their files make the new ones.
DROP FUNCTION IF EXISTS campaign_conditions_hold(
    campaign_versions, timestamptz, bigint, bigint, text, text, text, bigint, bigint);
DROP FUNCTION IF EXISTS campaign_prize(bigint, integer, integer);
