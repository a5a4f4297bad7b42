-- Published events (store.PublishStore) and their deliveries to the
-- subscriptions they matched. seq orders the listing (the cursor); id is
-- the caller's or a generated id, unique: a repeated id is deduplicated.
CREATE TABLE published_events (
    seq          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    type         TEXT    NOT NULL,
    payload      BLOB,
    published_at INTEGER NOT NULL -- unix microseconds
);
CREATE INDEX published_events_type ON published_events (type, seq);
CREATE INDEX published_events_at ON published_events (published_at, seq);

-- One row per (event, subscription): the instance it started, or why none
-- (outcome, error). The primary key makes a delivery happen at most once.
CREATE TABLE event_deliveries (
    event_id     TEXT    NOT NULL,
    subscription TEXT    NOT NULL,
    instance_id  TEXT    NOT NULL DEFAULT '',
    outcome      TEXT    NOT NULL,
    error        TEXT    NOT NULL DEFAULT '',
    delivered_at INTEGER NOT NULL, -- unix microseconds
    PRIMARY KEY (event_id, subscription)
) WITHOUT ROWID;
