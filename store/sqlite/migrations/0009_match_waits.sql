-- Matched waits (store.StateChange.AwaitMatch) need nothing new on SQLite:
-- the match is decided in Go. The version keeps both backends in step
-- with PostgreSQL's 0009 (its ordo_payload_jsonb function).
SELECT 1;
