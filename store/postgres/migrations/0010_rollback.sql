-- Cancel and compensation actions: an instance's pending rollback
-- (store.Rollback, JSON; NULL when none), and on each step the attempts
-- counted before an operator's retry of its compensation and the note of
-- what the operator did.
ALTER TABLE instances ADD COLUMN rollback text;
ALTER TABLE steps ADD COLUMN compensation_base int NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN compensation_note text NOT NULL DEFAULT '';
