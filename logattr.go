package ordo

// The keys of the attributes the engine's log lines carry, the same on every
// line so that one query finds what happened to an instance: a line about an
// instance has LogKeyInstanceID and LogKeyWorkflow, one about a step adds
// LogKeyStep (the step's key, "charge#1") and, for an attempt, LogKeyAttempt.
// With tracing on, a line written during a run also has LogKeyTraceID, the
// trace ID of the run's span.
const (
	LogKeyInstanceID = "instance_id"
	LogKeyWorkflow   = "workflow"
	LogKeyStep       = "step"
	LogKeyAttempt    = "attempt"
	LogKeyTraceID    = "trace_id"
)
