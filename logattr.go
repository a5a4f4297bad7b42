package ordo

// The keys of the attributes the engine's log lines carry, the same on every
// line so that one query finds what happened to an instance: a line about an
// instance has LogKeyInstanceID and LogKeyWorkflow, one about a step adds
// LogKeyStep (the step's key, "charge#1") and, for an attempt, LogKeyAttempt.
const (
	LogKeyInstanceID = "instance_id"
	LogKeyWorkflow   = "workflow"
	LogKeyStep       = "step"
	LogKeyAttempt    = "attempt"
)
