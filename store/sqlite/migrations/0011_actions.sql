-- The operator audit trail (store.ActionStore): who did what, when, why,
-- and what changed. Rows are only ever appended. AUTOINCREMENT: an id is
-- never reused, so the listing's cursor (at, id) stays exact. The indexes
-- serve the listing's filters, each newest first.
CREATE TABLE actions (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL, -- unix microseconds
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    instance_id TEXT    NOT NULL DEFAULT '',
    target      TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    before_data TEXT, -- JSON
    after_data  TEXT  -- JSON
);
CREATE INDEX actions_at ON actions (at, id);
CREATE INDEX actions_instance ON actions (instance_id, at, id);
CREATE INDEX actions_action ON actions (action, at, id);
CREATE INDEX actions_actor ON actions (actor, at, id);
CREATE INDEX actions_target ON actions (target, at, id);
