-- Named step limits (store.LimitStore). A slot is held by one step of an
-- instance under the lease token it was acquired with; it holds only while
-- the instance keeps that lease and the step is not completed or failed
-- (store.LimitHolder.Live), so no heartbeat touches this table.
CREATE TABLE limit_slots (
    name        TEXT    NOT NULL,
    instance_id TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    step_key    TEXT    NOT NULL,
    lease_token TEXT    NOT NULL,
    acquired_at INTEGER NOT NULL,
    PRIMARY KEY (name, instance_id, step_key)
);
CREATE INDEX limit_slots_instance ON limit_slots (instance_id);

-- The rate grants still inside their limit's window (a sliding log).
CREATE TABLE limit_grants (
    id   INTEGER NOT NULL PRIMARY KEY,
    name TEXT    NOT NULL,
    at   INTEGER NOT NULL
);
CREATE INDEX limit_grants_name ON limit_grants (name, at);

-- The steps a limit refused, woken oldest first by a release.
CREATE TABLE limit_waiters (
    name        TEXT    NOT NULL,
    instance_id TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    step_key    TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    PRIMARY KEY (name, instance_id, step_key)
);
CREATE INDEX limit_waiters_since ON limit_waiters (name, since);
CREATE INDEX limit_waiters_instance ON limit_waiters (instance_id);
