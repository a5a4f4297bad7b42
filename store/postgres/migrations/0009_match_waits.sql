-- ordo_payload_jsonb reads an event payload (bytea) as jsonb for the
-- matched-wait rule of Commit (store.StateChange.AwaitMatch): NULL when
-- jsonb refuses it (a \u0000 escape, invalid UTF-8), so that one odd
-- payload, which only the engine's own match then sees, cannot fail a
-- commit.
CREATE FUNCTION ordo_payload_jsonb(p bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN convert_from(p, 'UTF8')::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
