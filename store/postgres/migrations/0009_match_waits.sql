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

-- Matched waits (store.MatchStore): a waiting step's EventMatch, by which
-- a published event is copied into the instance's events, and the
-- published events copied into each instance, once each.
CREATE TABLE event_waits (
    instance_id text COLLATE "C" NOT NULL,
    step_key    text COLLATE "C" NOT NULL,
    type        text COLLATE "C" NOT NULL,
    match       jsonb NOT NULL, -- object of the fields
    PRIMARY KEY (instance_id, step_key)
);
CREATE INDEX event_waits_type ON event_waits (type);

CREATE TABLE event_copies (
    instance_id  text COLLATE "C" NOT NULL,
    published_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (instance_id, published_id)
);
