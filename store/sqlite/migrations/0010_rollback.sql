-- Cancel and compensation actions: an instance's pending rollback
-- (store.Rollback, JSON; NULL when none), and on each step the attempts
-- counted before an operator's retry of its compensation and the note of
-- what the operator did.
ALTER TABLE instances ADD COLUMN rollback TEXT;
ALTER TABLE steps ADD COLUMN compensation_base INTEGER NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN compensation_note TEXT NOT NULL DEFAULT '';
