-- Schedules (store.ScheduleStore). spec is the schedule's definition as
-- JSON, owned by package schedule; next_run_at is the next fire time,
-- NULL when the schedule fires no more.
CREATE TABLE schedules (
    id          TEXT    NOT NULL PRIMARY KEY,
    spec        TEXT    NOT NULL,
    paused      INTEGER NOT NULL DEFAULT 0,
    next_run_at INTEGER, -- unix microseconds
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE paused = 0 AND next_run_at IS NOT NULL;

-- One row per scheduled time of a schedule: at most one fire per time.
-- A 'pending' fire is being started by the worker holding its lease.
CREATE TABLE schedule_fires (
    schedule_id  TEXT    NOT NULL,
    scheduled_at INTEGER NOT NULL, -- unix microseconds
    instance_id  TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    error        TEXT    NOT NULL DEFAULT '',
    recorded_at  INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, scheduled_at)
) WITHOUT ROWID;
CREATE INDEX schedule_fires_pending ON schedule_fires (lease_until) WHERE outcome = 'pending';
