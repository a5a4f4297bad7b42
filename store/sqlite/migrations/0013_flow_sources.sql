-- Where each flow version came from (store.FlowVersion.Source): 'api',
-- 'file:<path>', or '' for versions stored before this migration.
ALTER TABLE flow_versions ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- The last load of each flow from a file (store.FlowFile, ordo serve
-- --flows): a file is applied again only when its content hash changed
-- since that load, so a restart cannot undo a version applied through the
-- API.
CREATE TABLE flow_files (
    name      TEXT    NOT NULL PRIMARY KEY,
    path      TEXT    NOT NULL,
    hash      TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    loaded_at INTEGER NOT NULL -- unix microseconds
) WITHOUT ROWID;
