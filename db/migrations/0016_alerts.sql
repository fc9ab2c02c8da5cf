-- The console's counterfeit and abuse alerts (Sources/TallyCore/Insights/AbuseAlerts.swift) read
-- a time window of scans and sign-in codes; these indexes keep that cost the window's, not the
-- history's.
--
-- Scans the alerts pick by result: forged codes, and scans of codes already claimed (a copied
-- code circulating). Only the server's ScanRecorder writes these results, in bulk and off the
-- claim path; claim_code writes 'claimed', which this partial index leaves out, so a claim
-- inserts no entry in it (it only tests the predicate). They are a small share of all scans, so
-- the index stays small. Bursts read every result in the window through scans_by_time (BRIN): a
-- btree on (ip, scanned_at) would cost every claim an index insert and still not bound the
-- search for an address that nobody names.
CREATE INDEX scans_for_alerts ON scans (result, scanned_at)
    WHERE result IN ('forged', 'claimed_by_other');

-- Sign-in codes by time: the per-address index (ip, created_at) serves the sign-in rate limit
-- for one known address, but finding the addresses that asked for many phones in a window
-- needs time first. ip and phone are included so the alert reads the index alone; neither
-- column ever changes, so updates of attempts and consumed_at stay HOT.
CREATE INDEX otp_challenges_by_time ON otp_challenges (created_at) INCLUDE (ip, phone);
