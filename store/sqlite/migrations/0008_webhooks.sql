-- Webhooks out (store.WebhookStore). events is a JSON array of event
-- types; secret is the whsec_ secret that signs the deliveries.
CREATE TABLE webhooks (
    id         TEXT    NOT NULL PRIMARY KEY,
    url        TEXT    NOT NULL,
    events     TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    created_at INTEGER NOT NULL -- unix microseconds
) WITHOUT ROWID;

-- The outbox: one row per notification (the change: event, instance,
-- its workflow, status and custom status after it, and the custom status
-- before it) and webhook, written in the
-- transaction of the change it reports. state is pending, delivered or
-- failed; a pending row is due at next_attempt_at, and claimed by a
-- dispatcher until claimed_until.
CREATE TABLE webhook_deliveries (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT    NOT NULL,
    instance_id     TEXT    NOT NULL,
    workflow        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    custom_status   TEXT    NOT NULL DEFAULT '',
    prev_custom     TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    retry_until     INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    finished_at     INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (webhook_id, instance_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);

-- Each attempt of a delivery: when, the HTTP status (0: none) and the error.
CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    error       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID;
