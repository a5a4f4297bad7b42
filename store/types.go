package store

import (
	"encoding/json"
	"time"
)

// InstanceStatus is the lifecycle status of a workflow instance.
type InstanceStatus string

// Instance statuses.
const (
	StatusQueued     InstanceStatus = "queued"     // created or resumed, waiting for a worker
	StatusRunning    InstanceStatus = "running"    // claimed by a worker
	StatusWaiting    InstanceStatus = "waiting"    // sleeping, waiting for an event or a retry delay
	StatusPaused     InstanceStatus = "paused"     // stopped by an operator; resume continues it
	StatusComplete   InstanceStatus = "complete"   // finished successfully
	StatusErrored    InstanceStatus = "errored"    // failed (after compensations ran)
	StatusTerminated InstanceStatus = "terminated" // stopped for good by an operator
	// StatusCancelled: cancelled by an operator, after the compensations
	// of its finished steps ran (see ActionCancel).
	StatusCancelled InstanceStatus = "cancelled"
)

// Statuses lists every status in lifecycle order (for filters and docs).
var Statuses = []InstanceStatus{StatusQueued, StatusRunning, StatusWaiting, StatusPaused,
	StatusComplete, StatusErrored, StatusTerminated, StatusCancelled}

// Terminal reports whether s is a final status (complete, errored,
// terminated, cancelled).
func (s InstanceStatus) Terminal() bool {
	return s == StatusComplete || s == StatusErrored || s == StatusTerminated || s == StatusCancelled
}

// Valid reports whether s is one of the known statuses.
func (s InstanceStatus) Valid() bool {
	switch s {
	case StatusQueued, StatusRunning, StatusWaiting, StatusPaused, StatusComplete, StatusErrored, StatusTerminated,
		StatusCancelled:
		return true
	}
	return false
}

// ErrorKind classifies a persisted error.
type ErrorKind string

// Error kinds.
const (
	ErrorKindStep         ErrorKind = "step"          // a step attempt returned an error
	ErrorKindNonRetryable ErrorKind = "non_retryable" // a step returned an error marked non-retryable
	ErrorKindTimeout      ErrorKind = "timeout"       // an attempt's timeout elapsed (or an event wait's)
	ErrorKindWorkflow     ErrorKind = "workflow"      // the workflow function returned an error
	ErrorKindCompensation ErrorKind = "compensation"  // a compensation failed
	ErrorKindPanic        ErrorKind = "panic"         // workflow or step code panicked
	ErrorKindTerminated   ErrorKind = "terminated"    // an operator terminated the instance
	ErrorKindCancelled    ErrorKind = "cancelled"     // an operator cancelled the instance; Message holds the reason
	ErrorKindCutOff       ErrorKind = "cut_off"       // the worker running the attempt crashed or froze
	// ErrorKindAbandoned: the attempt's timeout elapsed and the step
	// function still had not returned a grace period later; the engine
	// stopped waiting for it (its goroutine may still run) and failed the
	// step without a retry.
	ErrorKindAbandoned ErrorKind = "abandoned"
	// ErrorKindNonDeterminism: on replay the workflow code no longer
	// called the steps the journal recorded, in their order (a step
	// added before a recorded one, a recorded one removed or renamed, a
	// step of another kind); the instance was stopped without running
	// new code or compensations. Message names both steps.
	ErrorKindNonDeterminism ErrorKind = "non_determinism"
)

// ErrorInfo is an error as persisted: its text and how it was classified.
type ErrorInfo struct {
	Message string `json:"message"`
	// Kind classifies the error (the ErrorKind constants).
	Kind ErrorKind `json:"kind,omitempty"`
	// Step names the step that caused it, if any.
	Step string `json:"step,omitempty"`
	// Compensations lists compensation failures that happened while
	// rolling back after this error.
	Compensations []ErrorInfo `json:"compensations,omitempty"`
}

// Instance is one run of a workflow.
type Instance struct {
	ID       string          `json:"id"`
	Workflow string          `json:"workflow"`
	Status   InstanceStatus  `json:"status"`
	Params   json.RawMessage `json:"params,omitempty"`
	Output   json.RawMessage `json:"output,omitempty"`
	Error    *ErrorInfo      `json:"error,omitempty"`
	// CustomStatus is a label the workflow sets (an order's status).
	CustomStatus string `json:"customStatus,omitempty"`

	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// WakeAt is when a waiting instance becomes due again; nil waits until
	// an event arrives.
	WakeAt *time.Time `json:"wakeAt,omitempty"`

	// LeaseOwner, LeaseToken and LeaseExpiresAt describe the current claim.
	LeaseOwner     string     `json:"leaseOwner,omitempty"`
	LeaseToken     string     `json:"-"`
	LeaseExpiresAt *time.Time `json:"leaseExpiresAt,omitempty"`
	// Claims counts how many times a worker claimed the instance.
	Claims int `json:"claims"`
	// Run is the number of the instance's current run: 1, and one more at
	// each restart (the ended runs are read with Store.InstanceRuns).
	Run int `json:"run"`
	// Version is the code version (ordo.Config.Version) of the engine
	// that first ran the instance, recorded by the claim (or the claimed
	// create) that started it; "" until then, or when that engine had no
	// version. Claims with ClaimParams.Versions take only instances of
	// those versions (or of none).
	Version string `json:"version,omitempty"`
	// LeaseExpired is set by InstanceClaim on an instance it took over
	// from a worker whose lease ran out while the instance was running
	// (the worker died or froze), as opposed to a released lease or a
	// queued or due instance: a step attempt may have been cut off. It is
	// not stored.
	LeaseExpired bool `json:"-"`
	// DueAt is set by InstanceClaim: when the claimed instance became
	// runnable (a queued one's last update, a waiting one's WakeAt, an
	// expired lease's expiry), so the engine can tell how long it waited
	// for a worker. Nil when the backend does not say. It is not stored.
	DueAt *time.Time `json:"-"`
	// Rollback, when set, says the instance is being rolled back: a worker
	// that claims it replays the run (so compensations are registered),
	// runs what compensations are still due in reverse order and ends the
	// instance with Rollback.Status. Set by ActionCancel and by the
	// compensation actions; cleared when the instance finishes, by
	// terminate and by restart.
	Rollback *Rollback `json:"rollback,omitempty"`
	// ParentID, ParentStep and ChildPolicy link a child workflow to the
	// instance that started it (ordo.ExecuteChild, ordo.StartChild): the
	// parent's ID, the key of the parent's step that started it, and what
	// terminating or cancelling the parent does to it. Empty for an
	// instance that is no child; set at creation and never changed.
	ParentID    string      `json:"parentId,omitempty"`
	ParentStep  string      `json:"parentStep,omitempty"`
	ChildPolicy ChildPolicy `json:"childPolicy,omitempty"`
	// Unreadable, when set, says why the stored row could not be decoded
	// in full; the fields that could not be read are left empty. Listings
	// and InstanceGet return such a row rather than fail (see
	// MarkUnreadable).
	Unreadable string `json:"unreadable,omitempty"`
	// Priority is the instance's place in the queue
	// (InstanceCreateParams.Priority): higher is claimed first.
	Priority int `json:"priority,omitempty"`
	// Trace is the trace context of the request that created the instance
	// (InstanceCreateParams.Trace); nil when it had none. It is not part
	// of the API's JSON.
	Trace *TraceContext `json:"-"`
}

// ChildPolicy is what terminating or cancelling a parent instance does to
// a child that is still running (Instance.ChildPolicy).
type ChildPolicy string

// Child policies.
const (
	// ChildTerminate terminates the child (no compensation runs).
	ChildTerminate ChildPolicy = "terminate"
	// ChildCancel cancels the child: its compensations run.
	ChildCancel ChildPolicy = "cancel"
	// ChildAbandon leaves the child running on its own.
	ChildAbandon ChildPolicy = "abandon"
)

// Valid reports whether p is one of the child policies.
func (p ChildPolicy) Valid() bool {
	return p == ChildTerminate || p == ChildCancel || p == ChildAbandon
}

// Rollback is a pending rollback of an instance (Instance.Rollback).
type Rollback struct {
	// Status is how the instance ends once the compensations ran:
	// cancelled, or errored for an instance that failed and whose failed
	// compensation an operator acted on.
	Status InstanceStatus `json:"status"`
	// Cause is the instance's error at the end (its Compensations are
	// filled in then): for a cancel, kind cancelled with the reason.
	Cause *ErrorInfo `json:"cause"`
	// At is when it was requested.
	At time.Time `json:"at"`
}

// StepKind says what a journal entry records.
type StepKind string

// Step kinds.
const (
	KindDo    StepKind = "do"    // a unit of work (ordo.Do)
	KindSleep StepKind = "sleep" // a durable sleep
	KindEvent StepKind = "event" // a wait for an external event
	// KindAsync: an asynchronous step (ordo.DoAsync): its start function
	// began work elsewhere and its result arrives from outside, as an
	// event of type StepResultType (see EventSendParams.Step).
	KindAsync StepKind = "async"
	// KindPatch is the marker ordo.Patched records when an instance takes
	// a patch's new code path. It is not a step call: it takes no
	// position of its own in the run (its Ordinal is that of the next
	// step) and replay does not expect it in the step order.
	KindPatch StepKind = "patch"
	// KindChild: a child workflow started by the step (ordo.ExecuteChild,
	// ordo.StartChild); an awaited one waits for an event of type
	// ChildResultType(child) that the child's end sends (Update.Notify).
	KindChild StepKind = "child"
	// KindConcurrency is the wait of an instance for its workflow's
	// concurrency slot (ordo.Concurrency), one entry per instance under
	// ConcurrencyWaitKey: waiting while the instance waits (CustomStatus
	// says for what, WakeAt when it tries again, Attempts how often it
	// asked), completed once it got the slot (FinishedAt). Like KindPatch
	// it is no step call: replay does not expect it, and it is neither
	// compensated nor counted as a step.
	KindConcurrency StepKind = "concurrency"
)

// ConcurrencyWaitKey is the journal key of an instance's
// KindConcurrency entry; no step call's key ("name#seq") can equal it.
const ConcurrencyWaitKey = "concurrency:wait"

// PatchKey is the journal key of the marker of patch id (KindPatch); no
// step call's key ("name#seq") can equal it.
func PatchKey(id string) string { return "patch:" + id }

// StepStatus is the status of one journal entry.
type StepStatus string

// Step statuses.
const (
	StepRetrying  StepStatus = "retrying"  // an attempt failed; NextAttemptAt says when the next runs
	StepWaiting   StepStatus = "waiting"   // a sleep or event wait in progress; WakeAt is its deadline
	StepCompleted StepStatus = "completed" // finished; Output holds its result
	StepFailed    StepStatus = "failed"    // failed for good; Error holds why
)

// CompensationStatus is the status of a step's compensation.
type CompensationStatus string

// Compensation statuses.
const (
	CompNone      CompensationStatus = ""          // the step has no compensation or it has not been needed
	CompRetrying  CompensationStatus = "retrying"  // an attempt failed; CompensationNextAt says when the next runs
	CompCompleted CompensationStatus = "completed" // the step was undone
	CompFailed    CompensationStatus = "failed"    // the compensation failed for good
	// CompSkipped: the compensation failed for good and an operator chose
	// to skip it (ActionCompensationSkip); the step stays done.
	CompSkipped CompensationStatus = "skipped"
)

// Attempt is one execution of a step or of its compensation.
type Attempt struct {
	Number       int        `json:"number"`
	Compensation bool       `json:"compensation,omitempty"`
	StartedAt    time.Time  `json:"startedAt"`
	FinishedAt   time.Time  `json:"finishedAt"`
	Error        *ErrorInfo `json:"error,omitempty"`
}

// Step is one entry of an instance's journal. It is identified by Key, the
// step name plus its occurrence in the run ("charge#2").
type Step struct {
	InstanceID string `json:"-"`
	Key        string `json:"key"`
	Name       string `json:"name"`
	// Seq is the occurrence of Name in the run, from 1.
	Seq int `json:"seq"`
	// Ordinal is the position of the call among all step calls of the run,
	// from 0; it orders the journal and the compensations.
	Ordinal int        `json:"ordinal"`
	Kind    StepKind   `json:"kind"`
	Status  StepStatus `json:"status"`

	Output json.RawMessage `json:"output,omitempty"`
	Error  *ErrorInfo      `json:"error,omitempty"`
	// Attempts counts the attempts of the step itself (not compensations).
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	WakeAt        *time.Time `json:"wakeAt,omitempty"`
	// CustomStatus is the instance's custom status set when this step
	// completed, if the step set one.
	CustomStatus string `json:"customStatus,omitempty"`

	HasCompensation      bool               `json:"hasCompensation,omitempty"`
	CompensationData     json.RawMessage    `json:"compensationData,omitempty"`
	CompensationStatus   CompensationStatus `json:"compensationStatus,omitempty"`
	CompensationError    *ErrorInfo         `json:"compensationError,omitempty"`
	CompensationAttempts int                `json:"compensationAttempts,omitempty"`
	CompensationNextAt   *time.Time         `json:"compensationNextAt,omitempty"`
	// CompensationBase is how many compensation attempts had run when an
	// operator last retried the compensation (ActionCompensationRetry):
	// the retry policy counts the attempts after it.
	CompensationBase int `json:"compensationBase,omitempty"`
	// CompensationNote records an operator's action on the compensation
	// ("retried by ops: ...", "marked done by ops: ...", "skipped by
	// ops: ..."); "" when none acted.
	CompensationNote string `json:"compensationNote,omitempty"`

	// Await is what an event step (KindEvent) waits for: the event type
	// and the payload match, if any. Set while it waits and kept after;
	// nil for the other kinds.
	Await *EventAwait `json:"await,omitempty"`

	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`

	// History holds every attempt in order; filled by JournalLoad, ignored
	// by Commit (which appends Update.Attempts instead).
	History []Attempt `json:"history,omitempty"`
}

// Event is an external event sent to an instance.
type Event struct {
	ID         int64           `json:"id"`
	InstanceID string          `json:"instanceId"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	// ConsumedBy is the key of the step that received the event, or "".
	ConsumedBy string `json:"consumedBy,omitempty"`
}

// Journal is everything the engine needs to replay an instance.
type Journal struct {
	Steps  []*Step  // ordered by Ordinal
	Events []*Event // ordered by ID; consumed and unconsumed
}
