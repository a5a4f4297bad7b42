-- Published events (store.PublishStore) and their deliveries to the
-- subscriptions they matched. seq orders the listing (the cursor); id is
-- the caller's or a generated id, unique: a repeated id is deduplicated.
-- The payload is kept as bytes, so its JSON spelling is returned unchanged.
CREATE TABLE published_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text COLLATE "C" NOT NULL UNIQUE,
    type         text COLLATE "C" NOT NULL,
    payload      bytea,
    published_at timestamptz NOT NULL
);
CREATE INDEX published_events_type ON published_events (type, seq);
CREATE INDEX published_events_at ON published_events (published_at, seq);

-- One row per (event, subscription): the instance it started, or why none
-- (outcome, error). The primary key makes a delivery happen at most once.
CREATE TABLE event_deliveries (
    event_id     text COLLATE "C" NOT NULL,
    subscription text COLLATE "C" NOT NULL,
    instance_id  text COLLATE "C" NOT NULL DEFAULT '',
    outcome      text NOT NULL,
    error        text NOT NULL DEFAULT '',
    delivered_at timestamptz NOT NULL,
    PRIMARY KEY (event_id, subscription)
);
