-- Merges p_absorbed into p_survivor: balance (as a merge_out / merge_in pair of ledger entries,
-- since the ledger is append-only), lifetime counters, rollups, identities, lots and redemptions
-- move; the absorbed member keeps its history and points at the survivor from then on.
-- Outcomes: merged, same_member, unknown_member, already_merged.
CREATE OR REPLACE FUNCTION merge_members(
    p_survivor uuid, p_absorbed uuid, p_reason text, p_actor text,
    OUT outcome text, OUT points_moved bigint, OUT identities_moved integer, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_survivor members%ROWTYPE;
    v_absorbed members%ROWTYPE;
    v_lock uuid;
BEGIN
    IF p_survivor = p_absorbed THEN outcome := 'same_member'; RETURN; END IF;
    -- The pair, and members merged into the absorbed one earlier (they will point at the
    -- survivor), locked in id order, as claim batches lock theirs: one at a time, since Citus
    -- locks the rows of one shard a statement.
    FOREACH v_lock IN ARRAY ARRAY(
        SELECT DISTINCT x.id FROM unnest(ARRAY[p_survivor, p_absorbed] || ARRAY(
            SELECT k.id FROM members k WHERE k.merged_into = p_absorbed)) AS x(id)
        ORDER BY x.id)
    LOOP
        PERFORM 1 FROM members m WHERE m.id = v_lock FOR UPDATE;
    END LOOP;
    SELECT * INTO v_survivor FROM members m WHERE m.id = p_survivor;
    SELECT * INTO v_absorbed FROM members m WHERE m.id = p_absorbed;
    IF v_survivor.id IS NULL OR v_absorbed.id IS NULL THEN outcome := 'unknown_member'; RETURN; END IF;
    IF v_survivor.merged_into IS NOT NULL OR v_absorbed.merged_into IS NOT NULL THEN
        outcome := 'already_merged'; RETURN;
    END IF;

    points_moved := v_absorbed.balance;
    IF points_moved > 0 THEN
        INSERT INTO ledger_entries (member_id, kind, points, balance_after, reason, actor)
            VALUES (p_absorbed, 'merge_out', -points_moved, 0, p_reason, p_actor);
        INSERT INTO ledger_entries (member_id, kind, points, balance_after, reason, actor)
            VALUES (p_survivor, 'merge_in', points_moved, v_survivor.balance + points_moved, p_reason, p_actor);
    END IF;
    -- The absorbed member's rollups (its claims and scans, with those of members merged into it
    -- earlier) become the survivor's; its points expiring by day move with its lots (below).
    UPDATE members SET balance = 0, lifetime_earned = 0, lifetime_redeemed = 0, lifetime_expired = 0,
                       claims_by_channel = '{}', claims_by_region = '{}', claims_by_product = '{}',
                       first_scan_at = NULL, last_scan_at = NULL,
                       tier = NULL, tier_review_at = NULL, merged_into = p_survivor, updated_at = now()
        WHERE id = p_absorbed;
    UPDATE members m SET balance = m.balance + points_moved,
                         lifetime_earned = m.lifetime_earned + v_absorbed.lifetime_earned,
                         lifetime_redeemed = m.lifetime_redeemed + v_absorbed.lifetime_redeemed,
                         lifetime_expired = m.lifetime_expired + v_absorbed.lifetime_expired,
                         claims_by_channel = add_counts(m.claims_by_channel, v_absorbed.claims_by_channel),
                         claims_by_region = add_counts(m.claims_by_region, v_absorbed.claims_by_region),
                         claims_by_product = add_counts(m.claims_by_product, v_absorbed.claims_by_product),
                         first_scan_at = least(m.first_scan_at, v_absorbed.first_scan_at),
                         last_scan_at = greatest(m.last_scan_at, v_absorbed.last_scan_at),
                         updated_at = now()
        WHERE m.id = p_survivor RETURNING m.balance INTO balance;
    -- Members merged into the absorbed one earlier now point at the survivor too.
    UPDATE members SET merged_into = p_survivor WHERE merged_into = p_absorbed;
    UPDATE member_identities SET member_id = p_survivor WHERE member_id = p_absorbed;
    GET DIAGNOSTICS identities_moved = ROW_COUNT;
    -- Lots, their debits, the points expiring by day and redemptions move to the survivor's rows:
    -- copied and deleted, as Citus keeps a member's rows in its shard and cannot change the key.
    INSERT INTO point_lots (member_id, id, ledger_entry_id, source, points, remaining, earned_at, expires_at)
        OVERRIDING SYSTEM VALUE
        SELECT p_survivor, l.id, l.ledger_entry_id, l.source, l.points, l.remaining, l.earned_at, l.expires_at
        FROM point_lots l WHERE l.member_id = p_absorbed;
    DELETE FROM point_lots WHERE member_id = p_absorbed;
    INSERT INTO lot_debits (member_id, ledger_entry_id, lot_id, points)
        SELECT p_survivor, d.ledger_entry_id, d.lot_id, d.points FROM lot_debits d WHERE d.member_id = p_absorbed;
    DELETE FROM lot_debits WHERE member_id = p_absorbed;
    INSERT INTO member_points_expiring AS e (member_id, expires_on, points)
        SELECT p_survivor, x.expires_on, x.points FROM member_points_expiring x
        WHERE x.member_id = p_absorbed ORDER BY x.expires_on
        ON CONFLICT (member_id, expires_on) DO UPDATE SET points = e.points + excluded.points;
    DELETE FROM member_points_expiring WHERE member_id = p_absorbed;
    -- Redemptions (ids and vouchers unique) leave in the statement that brings them back; the
    -- setting tells their trigger (redemption_event) that these are no new redemptions.
    PERFORM set_config('tally.moving_redemptions', 'on', true);
    WITH gone AS (DELETE FROM redemptions r WHERE r.member_id = p_absorbed RETURNING r.*)
    INSERT INTO redemptions (member_id, id, reward_id, quantity, points, voucher, status, channel, actor,
                             ledger_entry_id, created_at, cancelled_at, cancel_entry_id)
        SELECT p_survivor, g.id, g.reward_id, g.quantity, g.points, g.voucher, g.status, g.channel, g.actor,
               g.ledger_entry_id, g.created_at, g.cancelled_at, g.cancel_entry_id
        FROM gone g;
    PERFORM set_config('tally.moving_redemptions', 'off', true);
    -- Campaign awards too, so the survivor's per-member budgets and limits count them: moved
    -- (deleted and written again), as Citus keeps them in their member's shard by member id.
    WITH gone AS (DELETE FROM campaign_awards a WHERE a.member_id = p_absorbed RETURNING a.*)
    INSERT INTO campaign_awards (campaign_id, id, version, member_id, kid, serial, outcome, points, ledger_entry_id,
                                 prize, reward_id, redemption_id, ticket, awarded_at)
        OVERRIDING SYSTEM VALUE
        SELECT g.campaign_id, g.id, g.version, p_survivor, g.kid, g.serial, g.outcome, g.points, g.ledger_entry_id,
               g.prize, g.reward_id, g.redemption_id, g.ticket, g.awarded_at
        FROM gone g;
    INSERT INTO member_merges (survivor_id, absorbed_id, points_moved, identities_moved, reason, actor)
        VALUES (p_survivor, p_absorbed, points_moved, identities_moved, p_reason, p_actor);
    PERFORM refresh_tier(p_survivor);
    PERFORM emit_event('member.merged', p_survivor, jsonb_build_object(
        'member_id', p_survivor, 'absorbed_id', p_absorbed, 'points_moved', points_moved));
    outcome := 'merged';
END;
$$;
