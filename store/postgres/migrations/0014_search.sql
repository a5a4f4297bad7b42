-- Search (store.InstanceListParams): search attributes, custom status
-- matched ignoring case, finish-time ranges.
--
-- An instance's search attributes. created_at is the instance's (it never
-- changes), so that the index pages the instances holding one attribute
-- newest first without a sort, however many hold it.
CREATE TABLE instance_attributes (
    instance_id text COLLATE "C" NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    key         text COLLATE "C" NOT NULL,
    value       text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (instance_id, key, value)
);
CREATE INDEX instance_attributes_match ON instance_attributes (key, value, created_at, instance_id);

-- CustomStatus ignores ASCII case (store.FoldCase; lower() in the "C"
-- collation folds ASCII only). The index holds '' too: NoCustomStatus (an
-- order still "Created") uses it.
DROP INDEX instances_custom;
CREATE INDEX instances_custom_fold ON instances ((lower(custom_status)), created_at, id);

-- FinishedAfter / FinishedBefore.
CREATE INDEX instances_finished ON instances (finished_at) WHERE finished_at IS NOT NULL;
