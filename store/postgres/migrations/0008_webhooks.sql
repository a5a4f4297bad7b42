-- Webhooks out (store.WebhookStore). secret is the whsec_ secret that
-- signs the deliveries.
CREATE TABLE webhooks (
    id         text        NOT NULL PRIMARY KEY,
    url        text        NOT NULL,
    events     text[]      NOT NULL,
    secret     text        NOT NULL,
    created_at timestamptz NOT NULL
);

-- The outbox: one row per notification (the change: event, instance,
-- its workflow, status and custom status after it, and the custom status
-- before it) and webhook, written in the
-- transaction of the change it reports. state is pending, delivered or
-- failed; a pending row is due at next_attempt_at, and claimed by a
-- dispatcher until claimed_until.
CREATE TABLE webhook_deliveries (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      text        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           text        NOT NULL,
    instance_id     text        NOT NULL,
    workflow        text        NOT NULL,
    status          text        NOT NULL,
    custom_status   text        NOT NULL DEFAULT '',
    prev_custom     text        NOT NULL DEFAULT '',
    state           text        NOT NULL DEFAULT 'pending',
    attempts        int         NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    retry_until     timestamptz NOT NULL,
    claimed_until   timestamptz NOT NULL DEFAULT '-infinity',
    finished_at     timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (webhook_id, instance_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);

-- Each attempt of a delivery: when, the HTTP status (0: none) and the error.
CREATE TABLE webhook_attempts (
    delivery_id bigint      NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number      int         NOT NULL,
    at          timestamptz NOT NULL,
    status_code int         NOT NULL,
    error       text        NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, number)
);
