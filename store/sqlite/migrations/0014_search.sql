-- Search (store.InstanceListParams): search attributes, custom status
-- matched ignoring case, finish-time ranges.
--
-- An instance's search attributes. created_at is the instance's (it never
-- changes), so that the index pages the instances holding one attribute
-- newest first without a sort, however many hold it.
CREATE TABLE instance_attributes (
    instance_id TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (instance_id, key, value)
) WITHOUT ROWID;
CREATE INDEX instance_attributes_match ON instance_attributes (key, value, created_at, instance_id);

-- CustomStatus ignores ASCII case (store.FoldCase; SQLite's lower() folds
-- ASCII only). The index holds '' too: NoCustomStatus (an order still
-- "Created") uses it.
DROP INDEX instances_custom;
CREATE INDEX instances_custom_fold ON instances (lower(custom_status), created_at, id);

-- FinishedAfter / FinishedBefore.
CREATE INDEX instances_finished ON instances (finished_at) WHERE finished_at IS NOT NULL;
