-- Runs (store.Run): a restart ends the instance's current run instead of
-- deleting its journal. instances.run is the current run's number (adding
-- a column with a constant default rewrites nothing); runs keeps each
-- ended run whole (store.EncodeRun: how it ended, the restart, and the
-- steps it took out of the live journal with their attempts), as bytea
-- since a step's output may hold what jsonb refuses. The live journal
-- keeps only the current run's steps, so JournalLoad reads no more than
-- before.
ALTER TABLE instances ADD COLUMN run integer NOT NULL DEFAULT 1;

CREATE TABLE runs (
    instance_id text COLLATE "C" NOT NULL,
    run         integer NOT NULL,
    ended_at    timestamptz NOT NULL,
    record      bytea NOT NULL, -- store.EncodeRun
    PRIMARY KEY (instance_id, run)
);
