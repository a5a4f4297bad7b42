-- Ordo's PostgreSQL schema, version 1.
-- Times are timestamptz (microsecond precision); JSON payloads are bytea,
-- stored byte for byte as the engine gave them. Text that is sorted or
-- compared uses COLLATE "C", so ordering is bytewise as in SQLite whatever
-- the database's locale.

CREATE TABLE instances (
    id               text COLLATE "C" NOT NULL PRIMARY KEY,
    workflow         text COLLATE "C" NOT NULL,
    status           text COLLATE "C" NOT NULL,
    params           bytea,
    output           bytea,
    error            text,                          -- store.ErrorInfo as JSON
    custom_status    text COLLATE "C" NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    wake_at          timestamptz,
    lease_owner      text,
    lease_token      text COLLATE "C",
    lease_expires_at timestamptz,
    claims           integer NOT NULL DEFAULT 0
) WITH (fillfactor = 80); -- room for HOT updates of step commits (50 since 0025)

-- InstanceList: newest first, optionally by status, workflow or custom
-- status. The status index also orders queued instances for InstanceClaim.
CREATE INDEX instances_created  ON instances (created_at, id);
CREATE INDEX instances_status   ON instances (status, created_at, id);
CREATE INDEX instances_workflow ON instances (workflow, created_at, id);
CREATE INDEX instances_custom   ON instances (custom_status, created_at, id) WHERE custom_status <> '';

-- InstanceClaim and NextWakeAt: due waiting instances, expired leases.
-- Partial indexes stay small: only the rows a claim can pick are in them.
CREATE INDEX instances_wake  ON instances (wake_at) WHERE status = 'waiting';
-- A running instance without a lease (released by a stopping worker) is
-- claimable like an expired one: it sorts as expired at -infinity.
CREATE INDEX instances_lease ON instances ((coalesce(lease_expires_at, '-infinity'::timestamptz))) WHERE status = 'running';

-- InstanceHeartbeat looks leases up by token. Not unique: a duplicate
-- token (never produced by the engine) must not fail a whole batch.
CREATE INDEX instances_lease_token ON instances (lease_token) WHERE lease_token IS NOT NULL;

CREATE TABLE steps (
    instance_id           text COLLATE "C" NOT NULL,
    key                   text COLLATE "C" NOT NULL,
    name                  text COLLATE "C" NOT NULL,
    seq                   integer NOT NULL,
    ordinal               integer NOT NULL,
    kind                  text    NOT NULL,
    status                text    NOT NULL,
    output                bytea,
    error                 text,
    attempts              integer NOT NULL DEFAULT 0,
    next_attempt_at       timestamptz,
    wake_at               timestamptz,
    custom_status         text    NOT NULL DEFAULT '',
    has_compensation      boolean NOT NULL DEFAULT false,
    compensation_data     bytea,
    compensation_status   text    NOT NULL DEFAULT '',
    compensation_error    text,
    compensation_attempts integer NOT NULL DEFAULT 0,
    compensation_next_at  timestamptz,
    started_at            timestamptz NOT NULL,
    finished_at           timestamptz,
    PRIMARY KEY (instance_id, key)
);

-- Attempt history, appended; id gives the order.
CREATE TABLE attempts (
    id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id  text COLLATE "C" NOT NULL,
    step_key     text COLLATE "C" NOT NULL,
    number       integer NOT NULL,
    compensation boolean NOT NULL DEFAULT false,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    error        text
);

CREATE INDEX attempts_instance ON attempts (instance_id, id);

CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id text COLLATE "C" NOT NULL,
    type        text COLLATE "C" NOT NULL,
    payload     bytea,
    created_at  timestamptz NOT NULL,
    consumed_by text COLLATE "C"
);

-- JournalLoad (events in send order) and the AwaitEvents check.
CREATE INDEX events_instance ON events (instance_id, id);
