-- A step's first attempt is kept on its row (store.FirstAttempt) when the
-- commit that records it writes the step: most steps then cost one row.
-- first_started_at is NULL when the row holds none (steps stored before,
-- whose first attempt is a row of attempts, and steps without attempts).
ALTER TABLE steps ADD COLUMN first_started_at INTEGER;
ALTER TABLE steps ADD COLUMN first_finished_at INTEGER;
ALTER TABLE steps ADD COLUMN first_error TEXT;
