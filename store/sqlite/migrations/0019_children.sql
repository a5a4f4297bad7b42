-- Child workflows: a child instance names its parent, the parent's step
-- that started it and what the parent's terminate or cancel does to it;
-- NULL for an instance that is no child. The index finds a parent's
-- children.
ALTER TABLE instances ADD COLUMN parent_id TEXT;
ALTER TABLE instances ADD COLUMN parent_step TEXT;
ALTER TABLE instances ADD COLUMN child_policy TEXT;
CREATE INDEX instances_parent ON instances (parent_id) WHERE parent_id IS NOT NULL;
