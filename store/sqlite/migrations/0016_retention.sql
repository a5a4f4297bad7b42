-- Deleting finished instances (store.PurgeStore): an instance's webhook
-- deliveries are found by instance. The other tables tied to an instance
-- are keyed by it already; the purge's scan uses instances_finished.
CREATE INDEX webhook_deliveries_instance ON webhook_deliveries (instance_id);
