-- Versions of order flows (store.FlowStore). A version is never changed
-- once written; the primary key makes concurrent puts of one name unable
-- to write the same version twice.
CREATE TABLE flow_versions (
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    hash       TEXT    NOT NULL,
    definition TEXT    NOT NULL,
    created_at INTEGER NOT NULL, -- unix microseconds
    PRIMARY KEY (name, version)
) WITHOUT ROWID;
