-- Instance.Version: the code version of the engine that first ran the
-- instance; '' until then. Claims take only the versions they can run.
ALTER TABLE instances ADD COLUMN version TEXT NOT NULL DEFAULT '';
