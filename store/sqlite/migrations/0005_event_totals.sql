-- Per-instance event totals, kept by EventSend in the transaction that
-- inserts an event, so that the event limits (store.CheckEvent) are
-- checked without reading the instance's events. Existing events are
-- counted once here.
ALTER TABLE instances ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN event_bytes INTEGER NOT NULL DEFAULT 0;

UPDATE instances SET
    event_count = (SELECT count(*) FROM events WHERE events.instance_id = instances.id),
    event_bytes = (SELECT coalesce(sum(octet_length(payload)), 0) FROM events WHERE events.instance_id = instances.id)
WHERE EXISTS (SELECT 1 FROM events WHERE events.instance_id = instances.id);
