-- Per-instance event totals, kept by EventSend in the transaction that
-- inserts an event, so that the event limits (store.CheckEvent) are
-- checked without reading the instance's events. Existing events are
-- counted once here.
ALTER TABLE instances
    ADD COLUMN event_count integer NOT NULL DEFAULT 0,
    ADD COLUMN event_bytes bigint NOT NULL DEFAULT 0;

UPDATE instances i SET event_count = e.n, event_bytes = e.bytes
FROM (SELECT instance_id, count(*) AS n, coalesce(sum(octet_length(payload)), 0) AS bytes
      FROM events GROUP BY instance_id) e
WHERE i.id = e.instance_id;
