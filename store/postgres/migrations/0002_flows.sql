-- Versions of order flows (store.FlowStore). A version is never changed
-- once written; the primary key makes concurrent puts of one name unable
-- to write the same version twice.
CREATE TABLE flow_versions (
    name       text COLLATE "C" NOT NULL,
    version    integer NOT NULL CHECK (version >= 1),
    hash       text    NOT NULL,
    definition bytea   NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (name, version)
);
