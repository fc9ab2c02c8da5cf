-- Whether an API key may still be used now: not revoked and not expired. Statements that
-- trust a key the server cached (APIKeyCache) check it again with this, at that instant.
-- PL/pgSQL, not SQL: a SQL function with a subquery is not inlined, and would be planned
-- again in every transaction that calls it; PL/pgSQL keeps its plan for the session.
CREATE OR REPLACE FUNCTION api_key_is_live(p_api_key uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM api_keys a
                   WHERE a.id = p_api_key AND a.revoked_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > now()));
END;
$$;
