-- A limit's waiters are served in order (store.LimitWaiter): a waiter
-- keeps its place until active_until unless refused again. Waiters stored
-- before have none and take a new place when refused next.
ALTER TABLE limit_waiters ADD COLUMN active_until timestamptz;
UPDATE limit_waiters SET active_until = since;
ALTER TABLE limit_waiters ALTER COLUMN active_until SET NOT NULL;
