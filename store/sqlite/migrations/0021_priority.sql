-- Instance.Priority: the queue's order. A claim takes queued instances of
-- higher priority first, the oldest first within one priority; the index
-- serves that order, so the claim stays an index scan.
ALTER TABLE instances ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
CREATE INDEX instances_queue ON instances (priority DESC, created_at, id) WHERE status = 'queued';
