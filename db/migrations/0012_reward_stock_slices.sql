-- A reward's stock is kept in 16 slices instead of one column. Every redemption of a stocked
-- reward used to update the reward's row, and a row being updated waits for the transaction
-- before it to commit: redemptions of one reward were served one commit at a time, however
-- many connections asked (about 1,000 a second here). A redemption now takes its units from
-- one slice that has them and is not held by another redemption (take_reward_stock), so 16 can
-- be in flight at once. The stock is the sum of the slices; a reward without slices (and with
-- initial_stock NULL) is unlimited. I4 becomes: initial_stock − sum(units) = live units.
CREATE TABLE reward_stock (
    reward_id bigint NOT NULL REFERENCES rewards (id),
    slice     smallint NOT NULL CHECK (slice BETWEEN 0 AND 15),
    units     bigint NOT NULL CHECK (units >= 0),
    PRIMARY KEY (reward_id, slice)
);
COMMENT ON TABLE reward_stock IS 'A stocked reward''s units available, in 16 slices (see take_reward_stock).';

INSERT INTO reward_stock (reward_id, slice, units)
    SELECT r.id, s.slice, r.stock / 16 + CASE WHEN s.slice < r.stock % 16 THEN 1 ELSE 0 END
    FROM rewards r CROSS JOIN generate_series(0, 15) AS s (slice)
    WHERE r.stock IS NOT NULL;

-- Its two checks go with it (initial_stock NULL exactly when unlimited, stock ≤ initial_stock);
-- `tally check` (I4) holds the slices to the redemptions instead.
ALTER TABLE rewards DROP COLUMN stock;
