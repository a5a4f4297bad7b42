-- API keys and the audit log (store.KeyStore). A key is stored as its
-- hash only. A revoked key's row stays (for the listing) until a new key
-- takes its name.
CREATE TABLE api_keys (
    name         TEXT    NOT NULL PRIMARY KEY,
    scope        TEXT    NOT NULL CHECK (scope IN ('read', 'operate', 'admin')),
    hash         TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL DEFAULT '',
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL, -- unix microseconds
    last_used_at INTEGER,
    revoked_at   INTEGER
) WITHOUT ROWID;

-- One row per state-changing request. AUTOINCREMENT: an id is never
-- reused, so the listing's cursor (an id) stays exact.
CREATE TABLE audit_log (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL, -- unix microseconds
    key         TEXT    NOT NULL DEFAULT '',
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    remote_addr TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_key ON audit_log (key, id);
