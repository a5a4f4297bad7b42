-- API keys and the audit log (store.KeyStore). A key is stored as its
-- hash only. A revoked key's row stays (for the listing) until a new key
-- takes its name.
CREATE TABLE api_keys (
    name         text COLLATE "C" NOT NULL PRIMARY KEY,
    scope        text NOT NULL CHECK (scope IN ('read', 'operate', 'admin')),
    hash         text COLLATE "C" NOT NULL UNIQUE,
    prefix       text NOT NULL DEFAULT '',
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- One row per state-changing request, newest last by id.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    key         text COLLATE "C" NOT NULL DEFAULT '',
    method      text NOT NULL,
    path        text NOT NULL,
    status      integer NOT NULL,
    remote_addr text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_key ON audit_log (key, id);
