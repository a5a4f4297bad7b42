-- Instance.Trace: the W3C trace context (traceparent, tracestate) of the
-- request that created the instance; NULL when it had none.
ALTER TABLE instances ADD COLUMN trace_parent TEXT;
ALTER TABLE instances ADD COLUMN trace_state TEXT;
