-- Named step limits (store.LimitStore). limits holds one row per limit
-- that LimitAcquire locks (FOR UPDATE), so that the acquirers of one limit
-- run one at a time and never pass it. A slot is held by one step of an
-- instance under the lease token it was acquired with; it holds only while
-- the instance keeps that lease and the step is not completed or failed
-- (store.LimitHolder.Live), so no heartbeat touches these tables.
CREATE TABLE limits (
    name text COLLATE "C" NOT NULL PRIMARY KEY
);

CREATE TABLE limit_slots (
    name        text COLLATE "C" NOT NULL,
    instance_id text COLLATE "C" NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    step_key    text COLLATE "C" NOT NULL,
    lease_token text COLLATE "C" NOT NULL,
    acquired_at timestamptz      NOT NULL,
    PRIMARY KEY (name, instance_id, step_key)
);
CREATE INDEX limit_slots_instance ON limit_slots (instance_id);

-- The rate grants still inside their limit's window (a sliding log).
CREATE TABLE limit_grants (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    at   timestamptz      NOT NULL
);
CREATE INDEX limit_grants_name ON limit_grants (name, at);

-- The steps a limit refused, woken oldest first by a release.
CREATE TABLE limit_waiters (
    name        text COLLATE "C" NOT NULL,
    instance_id text COLLATE "C" NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    step_key    text COLLATE "C" NOT NULL,
    since       timestamptz      NOT NULL,
    PRIMARY KEY (name, instance_id, step_key)
);
CREATE INDEX limit_waiters_since ON limit_waiters (name, since);
CREATE INDEX limit_waiters_instance ON limit_waiters (instance_id);
