-- Child workflows: a child instance names its parent, the parent's step
-- that started it and what the parent's terminate or cancel does to it;
-- NULL for an instance that is no child. The index finds a parent's
-- children.
ALTER TABLE instances ADD COLUMN parent_id text;
ALTER TABLE instances ADD COLUMN parent_step text;
ALTER TABLE instances ADD COLUMN child_policy text;
CREATE INDEX instances_parent ON instances (parent_id) WHERE parent_id IS NOT NULL;
