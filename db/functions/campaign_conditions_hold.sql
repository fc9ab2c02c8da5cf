-- Whether a claim meets a campaign version's conditions that need no more than the claim and
-- the member's rollups: products, batches, the batch's region, the channel, weekdays and hours
-- (at p_at, in the campaign's time zone), tier, segment new/returning (p_claims: the member's
-- claims with this one), the nth claim overall, the first claim of the product (p_product_claims:
-- the member's claims of it with this one). The conditions that read the member's claims or
-- awards (lapsed, nth within the campaign, awards per member) are apply_campaigns' own, and
-- the backtest's (backtest_campaign). The window is not a condition: the caller decides.
-- One SQL expression, so PostgreSQL inlines it into the query that picks a claim's campaigns.
-- v is a campaign_versions row, typed anyelement: on Citus the coordinator's copy of that
-- reference table (where the rows are read) has a row type of its own, which a function taking
-- campaign_versions would refuse (and a function made before the table was distributed takes).
CREATE OR REPLACE FUNCTION campaign_conditions_hold(
    v anyelement, p_at timestamptz, p_product bigint, p_batch bigint, p_region text, p_channel text,
    p_tier text, p_claims bigint, p_product_claims bigint
) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (v.product_ids IS NULL OR p_product = ANY (v.product_ids))
       AND (v.batch_ids IS NULL OR p_batch = ANY (v.batch_ids))
       AND (v.regions IS NULL OR p_region = ANY (v.regions))
       AND (v.channels IS NULL OR p_channel = ANY (v.channels))
       AND (v.tiers IS NULL OR p_tier = ANY (v.tiers))
       AND (v.weekdays IS NULL OR extract(isodow FROM p_at AT TIME ZONE v.time_zone)::smallint = ANY (v.weekdays))
       AND (v.hour_from IS NULL OR CASE
                WHEN v.hour_from < v.hour_to THEN extract(hour FROM p_at AT TIME ZONE v.time_zone) >= v.hour_from
                                              AND extract(hour FROM p_at AT TIME ZONE v.time_zone) < v.hour_to
                ELSE extract(hour FROM p_at AT TIME ZONE v.time_zone) >= v.hour_from
                     OR extract(hour FROM p_at AT TIME ZONE v.time_zone) < v.hour_to END)
       AND (v.segment IS NULL OR (v.segment = 'new' AND p_claims = 1) OR (v.segment <> 'new' AND p_claims > 1))
       AND (NOT v.first_of_product OR p_product_claims = 1)
       AND (v.nth_claim IS NULL OR v.nth_within = 'campaign'
            OR CASE WHEN v.nth_every THEN p_claims % v.nth_claim = 0 ELSE p_claims = v.nth_claim END)
$$;
