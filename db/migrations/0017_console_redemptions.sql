-- The console's redemptions page lists every member's redemptions newest first (by their ledger
-- entry, which the ledger's sequence orders), filtered and paged: without an index on that order
-- each page sorted the whole table. One index entry per redemption; claims are untouched.
CREATE INDEX redemptions_newest ON redemptions (ledger_entry_id DESC);
