-- A voucher code as Voucher.swift makes them: 16 Crockford base32 symbols (80 random bits)
-- in four groups, e.g. 7KQ2-M9XD-4TRB-0HZE. For vouchers made inside SQL (a campaign's award).
-- The bits come from gen_random_uuid (PostgreSQL's strong random source): of its 16 bytes,
-- bytes 6 and 8 carry the UUID's fixed version and variant bits, so those are skipped.
CREATE OR REPLACE FUNCTION new_voucher_code() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    v_bytes bytea := uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
    v_code text := '';
    v_used integer := 0;
BEGIN
    FOR i IN 0 .. 31 LOOP
        CONTINUE WHEN i % 16 IN (6, 8);
        EXIT WHEN v_used = 16;
        IF v_used > 0 AND v_used % 4 = 0 THEN v_code := v_code || '-'; END IF;
        v_code := v_code || substr(v_alphabet, (get_byte(v_bytes, i) & 31) + 1, 1);
        v_used := v_used + 1;
    END LOOP;
    RETURN v_code;
END;
$$;
