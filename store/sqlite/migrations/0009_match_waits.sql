-- Matched waits (store.MatchStore): a waiting step's EventMatch, by which
-- a published event is copied into the instance's events (the match itself
-- is decided in Go, store.EventMatch.Matches), and the published events
-- copied into each instance, once each.
CREATE TABLE event_waits (
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    step_key    TEXT NOT NULL,
    type        TEXT NOT NULL,
    match       TEXT NOT NULL, -- JSON object of the fields
    PRIMARY KEY (instance_id, step_key)
);
CREATE INDEX event_waits_type ON event_waits (type);

CREATE TABLE event_copies (
    instance_id  TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    published_id TEXT NOT NULL,
    PRIMARY KEY (instance_id, published_id)
);
