-- A limit's waiters are served in order (store.LimitWaiter): a waiter
-- keeps its place until active_until (unix microseconds) unless refused
-- again. Waiters stored before have none and take a new place when
-- refused next.
ALTER TABLE limit_waiters ADD COLUMN active_until INTEGER NOT NULL DEFAULT 0;
