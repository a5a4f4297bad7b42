-- Nothing to do: PostgreSQL drops its attempts_instance index here, which
-- SQLite dropped in 0003 (attempts_number serves the lookups). Kept so
-- both backends number their schema versions alike.
SELECT 1;
