-- Ordo's SQLite schema, version 1.
-- Times are INTEGER unix microseconds (UTC); JSON payloads are TEXT, stored
-- byte for byte as the engine gave them.

CREATE TABLE instances (
    id               TEXT    NOT NULL PRIMARY KEY,
    workflow         TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    params           TEXT,
    output           TEXT,
    error            TEXT,                        -- store.ErrorInfo as JSON
    custom_status    TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    wake_at          INTEGER,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    claims           INTEGER NOT NULL DEFAULT 0
);

-- InstanceList: newest first, optionally by status, workflow or custom status.
-- The status index also orders queued instances for InstanceClaim.
CREATE INDEX instances_created  ON instances (created_at, id);
CREATE INDEX instances_status   ON instances (status, created_at, id);
CREATE INDEX instances_workflow ON instances (workflow, created_at, id);
CREATE INDEX instances_custom   ON instances (custom_status, created_at, id) WHERE custom_status <> '';

-- InstanceClaim and NextWakeAt: due waiting instances, expired leases.
-- Partial indexes stay small: only the rows a claim can pick are in them.
CREATE INDEX instances_wake  ON instances (wake_at) WHERE status = 'waiting';
-- A running instance without a lease (released by a stopping worker) is
-- claimable like an expired one: it sorts as expired at time 0.
CREATE INDEX instances_lease ON instances (coalesce(lease_expires_at, 0)) WHERE status = 'running';

-- InstanceHeartbeat looks leases up by token.
CREATE UNIQUE INDEX instances_lease_token ON instances (lease_token) WHERE lease_token IS NOT NULL;

CREATE TABLE steps (
    instance_id           TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    key                   TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    seq                   INTEGER NOT NULL,
    ordinal               INTEGER NOT NULL,
    kind                  TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    output                TEXT,
    error                 TEXT,
    attempts              INTEGER NOT NULL DEFAULT 0,
    next_attempt_at       INTEGER,
    wake_at               INTEGER,
    custom_status         TEXT    NOT NULL DEFAULT '',
    has_compensation      INTEGER NOT NULL DEFAULT 0,
    compensation_data     TEXT,
    compensation_status   TEXT    NOT NULL DEFAULT '',
    compensation_error    TEXT,
    compensation_attempts INTEGER NOT NULL DEFAULT 0,
    compensation_next_at  INTEGER,
    started_at            INTEGER NOT NULL,
    finished_at           INTEGER,
    PRIMARY KEY (instance_id, key)
);

-- Attempt history, appended; id gives the order.
CREATE TABLE attempts (
    id           INTEGER NOT NULL PRIMARY KEY,
    instance_id  TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    step_key     TEXT    NOT NULL,
    number       INTEGER NOT NULL,
    compensation INTEGER NOT NULL DEFAULT 0,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    error        TEXT
);

CREATE INDEX attempts_instance ON attempts (instance_id, step_key);

CREATE TABLE events (
    id          INTEGER NOT NULL PRIMARY KEY,
    instance_id TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    type        TEXT    NOT NULL,
    payload     TEXT,
    created_at  INTEGER NOT NULL,
    consumed_by TEXT
);

-- JournalLoad and the AwaitEvents check (unconsumed events of some types).
CREATE INDEX events_instance ON events (instance_id, type);
