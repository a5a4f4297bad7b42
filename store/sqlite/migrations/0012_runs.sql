-- Runs (store.Run): a restart ends the instance's current run instead of
-- deleting its journal. instances.run is the current run's number; runs
-- keeps each ended run whole (store.EncodeRun: how it ended, the restart,
-- and the steps it took out of the live journal with their attempts).
-- The live journal (steps, attempts) keeps only the current run's steps,
-- so JournalLoad reads no more than before.
ALTER TABLE instances ADD COLUMN run INTEGER NOT NULL DEFAULT 1;

CREATE TABLE runs (
    instance_id TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    run         INTEGER NOT NULL,
    ended_at    INTEGER NOT NULL,
    record      BLOB    NOT NULL, -- store.EncodeRun
    PRIMARY KEY (instance_id, run)
);
