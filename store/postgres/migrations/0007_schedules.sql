-- Schedules (store.ScheduleStore). spec is the schedule's definition as
-- JSON, owned by package schedule; next_run_at is the next fire time,
-- NULL when the schedule fires no more.
CREATE TABLE schedules (
    id          text COLLATE "C" NOT NULL PRIMARY KEY,
    spec        jsonb NOT NULL,
    paused      boolean NOT NULL DEFAULT false,
    next_run_at timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE NOT paused AND next_run_at IS NOT NULL;

-- One row per scheduled time of a schedule: at most one fire per time.
-- A 'pending' fire is being started by the worker holding its lease.
CREATE TABLE schedule_fires (
    schedule_id  text COLLATE "C" NOT NULL,
    scheduled_at timestamptz NOT NULL,
    instance_id  text COLLATE "C" NOT NULL,
    outcome      text NOT NULL,
    error        text NOT NULL DEFAULT '',
    recorded_at  timestamptz NOT NULL,
    lease_until  timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (schedule_id, scheduled_at)
);
CREATE INDEX schedule_fires_pending ON schedule_fires (lease_until) WHERE outcome = 'pending';
