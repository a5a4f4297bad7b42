-- The operator audit trail (store.ActionStore): who did what, when, why,
-- and what changed. Rows are only ever appended; the listing's cursor is
-- (at, id). The indexes serve the listing's filters, each newest first.
-- before_data and after_data are JSON kept as text: they are shown, never
-- queried, and text takes any JSON a caller recorded.
CREATE TABLE actions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text COLLATE "C" NOT NULL,
    action      text COLLATE "C" NOT NULL,
    instance_id text COLLATE "C" NOT NULL DEFAULT '',
    target      text COLLATE "C" NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    before_data text,
    after_data  text
);
CREATE INDEX actions_at ON actions (at, id);
CREATE INDEX actions_instance ON actions (instance_id, at, id);
CREATE INDEX actions_action ON actions (action, at, id);
CREATE INDEX actions_actor ON actions (actor, at, id);
CREATE INDEX actions_target ON actions (target, at, id);
