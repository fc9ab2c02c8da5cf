-- A code's ticket in a campaign's instant-win draw, 0 to 999,999: the first 6 bytes of
-- HMAC-SHA256(secret, '<kid>:<serial>') as a big-endian number x (0 ≤ x < 2^48), scaled:
-- floor(x × 1,000,000 / 2^48). The same code always draws the same ticket, so a retry cannot
-- draw again; with the secret (published when the campaign ends) anyone can recompute it
-- (docs/campaigns.md, "Checking a draw").
CREATE OR REPLACE FUNCTION campaign_ticket(p_secret bytea, p_kid smallint, p_serial bigint) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v_mac bytea := hmac_sha256(p_secret, convert_to(p_kid::text || ':' || p_serial::text, 'UTF8'));
    v_x bigint := 0;
BEGIN
    FOR i IN 0 .. 5 LOOP
        v_x := v_x * 256 + get_byte(v_mac, i);
    END LOOP;
    RETURN div(v_x::numeric * 1000000, 281474976710656)::integer;
END;
$$;
