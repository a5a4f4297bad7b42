package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// Errors a backend translates its driver errors into.
var (
	// ErrNotFound: the instance (or step) does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: InstanceCreate with an ID that exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrLeaseLost: an Update whose lease token no longer matches; the
	// instance was claimed by someone else (or released) meanwhile.
	ErrLeaseLost = errors.New("store: lease lost")
	// ErrInvalidTransition: a control action the current status forbids,
	// or an event sent to a finished instance (a *TransitionError).
	ErrInvalidTransition = errors.New("store: invalid transition")
	// ErrInvalidArgument: an argument no call could accept, such as a
	// cursor that no listing returned (an *Error).
	ErrInvalidArgument = errors.New("store: invalid argument")
	// ErrLimitExceeded: an event the instance's event limits refuse (a
	// *LimitError).
	ErrLimitExceeded = errors.New("store: limit exceeded")
)

// Store is what a backend implements. Every method is safe for concurrent
// use; every write is durable when the method returns.
type Store interface {
	// InstanceCreate inserts a queued instance. An existing ID returns
	// ErrAlreadyExists together with the existing instance.
	InstanceCreate(ctx context.Context, p *InstanceCreateParams) (*Instance, error)
	// InstanceGet returns one instance or ErrNotFound.
	InstanceGet(ctx context.Context, id string) (*Instance, error)
	// InstanceList returns instances newest first (by creation time, then ID).
	// A row that does not decode is returned with Unreadable set rather
	// than failing the page; a cursor no listing returned is an *Error
	// matching ErrInvalidArgument.
	InstanceList(ctx context.Context, p *InstanceListParams) (*InstancePage, error)
	// InstanceClaim leases up to p.Limit runnable instances to p.Owner and
	// marks them running. Runnable: queued; waiting with WakeAt <= p.Now;
	// or running with an expired lease (or none: released by an Update
	// without a state change). Expired leases come first (work already
	// started), then due timers (oldest WakeAt first), then the queue:
	// higher Priority first, the oldest first within one priority (by
	// creation time, then ID). Each claimed instance gets a new
	// LeaseToken and Claims+1. Two concurrent claims never return the same
	// instance.
	InstanceClaim(ctx context.Context, p *ClaimParams) ([]*Instance, error)
	// InstanceHeartbeat extends the leases that p.Tokens still hold and
	// reports, for each token, whether the lease is still held and the
	// instance's status (so a worker notices pause and terminate).
	InstanceHeartbeat(ctx context.Context, p *HeartbeatParams) ([]HeartbeatResult, error)
	// InstanceControl applies an operator action atomically, checking the
	// transition is allowed (ErrInvalidTransition otherwise).
	InstanceControl(ctx context.Context, p *ControlParams) (*Instance, error)
	// InstanceRuns returns the ended runs of an instance (those a restart
	// ended), oldest first, each with the steps the restart took out of
	// the live journal; none for an instance never restarted. ErrNotFound
	// if the instance does not exist.
	InstanceRuns(ctx context.Context, instanceID string) ([]*Run, error)
	// NextWakeAt returns the earliest WakeAt among waiting instances, or
	// false when none waits on a timer.
	NextWakeAt(ctx context.Context) (time.Time, bool, error)

	// JournalLoad returns the steps (with their attempt history) and events
	// of an instance.
	JournalLoad(ctx context.Context, instanceID string) (*Journal, error)
	// Commit applies updates in as few transactions as it can (one, for a
	// healthy database). Each update is fenced by its lease token: an update
	// whose token does not match is skipped and reported as ErrLeaseLost in
	// its result; the others still apply. The returned error is for a
	// failure of the whole batch (nothing applied).
	Commit(ctx context.Context, updates []*Update) ([]UpdateResult, error)

	// EventSend stores an event for an instance (ErrNotFound if the
	// instance does not exist). A waiting instance is made due at once
	// (WakeAt = Now, unless it is already earlier). In the same
	// transaction as the insert it refuses the event, per CheckEvent, when
	// the instance is finished (a *TransitionError) or the event would
	// pass p.MaxEvents or p.MaxBytes (a *LimitError).
	EventSend(ctx context.Context, p *EventSendParams) (*Event, error)
	// EventList returns a page of an instance's events in send order (by
	// ID), consumed or not (ErrNotFound if the instance does not exist).
	EventList(ctx context.Context, p *EventListParams) (*EventPage, error)

	// Close releases the backend's resources.
	Close() error
}

// InstanceCreateParams are the arguments of Store.InstanceCreate.
type InstanceCreateParams struct {
	ID       string
	Workflow string
	Params   json.RawMessage
	Now      time.Time
	// Claim, if set, creates the instance already claimed (status running,
	// StartedAt = Now, Claims = 1) by Claim.Owner with Claim.Token until
	// Claim.LeaseUntil, so the engine that creates it can run it at once
	// without a separate claim transaction.
	Claim *CreateClaim
	// Attributes are the instance's search attributes, written in the
	// same transaction (see NormalizeAttributes for their bounds). A
	// duplicate create leaves the existing instance's attributes alone.
	Attributes []Attribute
	// Trace, if set, is the trace context of the request that creates the
	// instance (see TraceContext), stored with it and returned as
	// Instance.Trace. Checked by ValidateTraceContext.
	Trace *TraceContext
	// Parent, if set, makes the instance a child of another
	// (Instance.ParentID, ParentStep, ChildPolicy).
	Parent *ParentLink
	// Priority orders the queue: a claim takes queued instances of higher
	// priority first, the oldest first within one priority. MinPriority..
	// MaxPriority (ValidatePriority); 0, the default, for most.
	Priority int
}

// ParentLink is the parent of a child instance (InstanceCreateParams.Parent).
type ParentLink struct {
	ID     string
	Step   string
	Policy ChildPolicy
}

// CreateClaim is the lease an instance is created with; see
// InstanceCreateParams.Claim.
type CreateClaim struct {
	Owner      string
	Token      string
	LeaseUntil time.Time
	// Version is recorded as the instance's Version (the creating
	// engine's code version, since it runs the instance at once).
	Version string
}

// InstanceListParams filter and page Store.InstanceList. Every filter set
// must match; the zero value lists all instances. The struct is the JSON a
// saved filter is stored as (ValidateList checks one read back).
type InstanceListParams struct {
	Workflow string         `json:"workflow,omitempty"` // "" for all
	Status   InstanceStatus `json:"status,omitempty"`   // "" for all
	// WorkflowPrefix, if set, matches workflows whose name starts with it.
	WorkflowPrefix string `json:"workflowPrefix,omitempty"`
	// CustomStatus, if set, matches instances with that custom status,
	// ignoring ASCII case (FoldCase): "failed" finds "Failed".
	CustomStatus string `json:"customStatus,omitempty"`
	// NoCustomStatus, if set, matches instances without a custom status
	// (an order still "Created"). It excludes CustomStatus.
	NoCustomStatus bool `json:"noCustomStatus,omitempty"`
	// IDPrefix, if set, matches instance IDs that start with it (printable
	// ASCII, as IDs are).
	IDPrefix string `json:"idPrefix,omitempty"`
	// ParentID, if set, matches the children of that instance
	// (Instance.ParentID).
	ParentID string `json:"parentId,omitempty"`
	// Attributes, if set, match instances holding every one of them
	// (InstanceCreateParams.Attributes); at most MaxAttributeFilters.
	Attributes []Attribute `json:"attributes,omitempty"`
	// CreatedAfter and CreatedBefore bound the creation time: at or after
	// CreatedAfter, strictly before CreatedBefore (zero: unbounded).
	// FinishedAfter and FinishedBefore bound the finish time the same way;
	// either one set leaves out the instances that have not finished.
	CreatedAfter   time.Time `json:"createdAfter,omitzero"`
	CreatedBefore  time.Time `json:"createdBefore,omitzero"`
	FinishedAfter  time.Time `json:"finishedAfter,omitzero"`
	FinishedBefore time.Time `json:"finishedBefore,omitzero"`

	Limit  int    `json:"limit,omitempty"`  // 1..1000 (more is capped); 0 means 50; see ListLimit
	Cursor string `json:"cursor,omitempty"` // opaque, from InstancePage.NextCursor
}

// InstancePage is one page of Store.InstanceList.
type InstancePage struct {
	Instances []*Instance
	// NextCursor continues the listing; "" when there is no more.
	NextCursor string
}

// ClaimParams are the arguments of Store.InstanceClaim.
type ClaimParams struct {
	Owner string
	Limit int
	Now   time.Time
	// LeaseUntil is when the new leases expire unless renewed.
	LeaseUntil time.Time
	// Workflows restricts claims to these workflow names; nil claims any.
	Workflows []string
	// Versions restricts claims to instances whose Version is one of
	// these or "" (not started yet, or started by an unversioned engine);
	// nil claims any version.
	Versions []string
	// Version is recorded as the Version of each claimed instance that
	// has none (the claiming engine's code version; "" records none).
	Version string
}

// HeartbeatParams are the arguments of Store.InstanceHeartbeat.
type HeartbeatParams struct {
	Tokens     []string // lease tokens to renew
	LeaseUntil time.Time
	Now        time.Time
}

// HeartbeatResult is the outcome for one lease token.
type HeartbeatResult struct {
	Token string
	// InstanceID is empty when the token matches no instance.
	InstanceID string
	Held       bool
	Status     InstanceStatus
}

// ControlAction is an operator action on an instance.
type ControlAction string

// Control actions and the statuses they are allowed from:
//   - pause: queued, running, waiting → paused (a running instance keeps
//     its lease; its worker stops at the next step boundary).
//   - resume: paused → queued. A lease left from before the pause is
//     cleared, so the old worker's late commits get ErrLeaseLost.
//   - terminate: any non-terminal status → terminated, FinishedAt = Now.
//     Like pause, it keeps a running instance's lease: the worker learns
//     of it from InstanceHeartbeat and its state change is dropped.
//   - restart: any status. A restart never deletes history: it ends the
//     instance's current run, recording it (a Run, read with InstanceRuns)
//     with the steps it takes out of the live journal and their attempts,
//     and begins the next (Instance.Run+1). From the beginning (FromStep
//     "") every step is taken out; from a step, that step's first
//     occurrence and every step with a greater ordinal are, and earlier
//     steps are kept in the journal (their compensation state cleared).
//     Refused (ErrInvalidTransition, RestartCompensated) when a kept step's
//     compensation already completed, unless AllowCompensated is set: such
//     steps then run again too. FromStep naming no recorded step is
//     ErrNotFound. Events consumed by the steps taken out become
//     unconsumed again. The instance becomes queued with its output,
//     error, wake time, finish time and lease cleared; its custom status
//     becomes that of the last kept step that set one ("" from the
//     beginning); Params, if set, replace its params. PlanRestart decides
//     all of it.
//   - cancel: queued, running, waiting, paused → queued with a Rollback
//     (status cancelled, cause of kind cancelled with ControlParams.Reason);
//     wake time cleared, lease kept: the worker holding it sees the
//     instance queued in its heartbeat (or its next commit's result),
//     cancels the running step and hands the instance back, and its state
//     changes are dropped meanwhile (the instance is no longer running).
//     Any worker then claims it like any queued instance and rolls it back
//     (see Rollback). Refused while a rollback is already pending. With
//     ControlParams.AfterCompletion, also from complete (FinishedAt is
//     cleared).
//   - compensation.retry, compensation.done, compensation.skip: on an
//     errored or cancelled instance, for the step ControlParams.StepKey
//     whose compensation failed for good: run it again with its policy
//     (CompensationBase = its attempts so far, due now), mark it completed
//     (the operator undid it by hand) or skipped. The instance becomes
//     queued with a Rollback to its current status and error, so a worker
//     runs what is still due and ends it again (see CompensationAction).
//
// A terminate or cancel also applies, in its transaction, the policy of
// each child of the instance that still runs, and of their children
// (CloseChildren).
const (
	ActionPause             ControlAction = "pause"
	ActionResume            ControlAction = "resume"
	ActionTerminate         ControlAction = "terminate"
	ActionRestart           ControlAction = "restart"
	ActionCancel            ControlAction = "cancel"
	ActionCompensationRetry ControlAction = "compensation.retry"
	ActionCompensationDone  ControlAction = "compensation.done"
	ActionCompensationSkip  ControlAction = "compensation.skip"
)

// ControlParams are the arguments of Store.InstanceControl.
type ControlParams struct {
	InstanceID string
	Action     ControlAction
	// FromStep is the step name to restart from (its first occurrence);
	// "" restarts from the beginning.
	FromStep string
	// StepKey is the step ("charge#1") a compensation action applies to.
	StepKey string
	// AfterCompletion allows a cancel of a complete instance too (an
	// order flow that allows post-completion cancellation): its completed
	// steps are compensated and it ends cancelled.
	AfterCompletion bool
	// Reason is the operator's reason of a cancel or compensation action,
	// recorded on the instance (Rollback.Cause) or step (CompensationNote).
	Reason string
	// Params, if non-nil, replace the instance's params for the run a
	// restart begins (a redrive); written in the restart's transaction.
	Params json.RawMessage
	// AllowCompensated lets a restart from a step go ahead although a kept
	// step's compensation completed: those steps run again.
	AllowCompensated bool
	Now              time.Time
	// Audit, if set, is the audit-trail entry of the action; a backend
	// that keeps an audit trail writes it in the action's transaction.
	Audit *Action
	// Notify lists events for other instances that a terminate writes in
	// its transaction, as Update.Notify does (a child's end for its
	// parent); the other actions ignore it.
	Notify []*EventSendParams
}

// EventSendParams are the arguments of Store.EventSend.
type EventSendParams struct {
	InstanceID string
	Type       string
	Payload    json.RawMessage
	Now        time.Time
	// MaxEvents, if positive, is how many events the instance may hold:
	// the event that would be one more is refused.
	MaxEvents int
	// MaxBytes, if positive, bounds the total payload size of the
	// instance's events: the event that would pass it is refused.
	MaxBytes int64
	// Step, if set, makes the event the result of an asynchronous step:
	// in the insert's transaction the backend reads the step's state and
	// refuses the event per CheckStepEvent (the step must be waiting at
	// Step.Attempt, with no result pending). Type must be
	// StepResultType(Step.Key, Step.Attempt).
	Step *StepEvent
}

// EventListParams are the arguments of Store.EventList.
type EventListParams struct {
	InstanceID string
	Limit      int    // 1..1000 (more is capped); 0 means 50; see ListLimit
	Cursor     string // opaque, from EventPage.NextCursor
}

// EventPage is one page of Store.EventList.
type EventPage struct {
	Events []*Event
	// NextCursor continues the listing; "" when there is no more.
	NextCursor string
}

// Update is what one worker writes for one instance in one commit.
type Update struct {
	// Create, if set, inserts the instance first, in the same transaction
	// as the rest of the batch (so creates from many callers share one
	// commit). An ID that exists makes this update's result ErrAlreadyExists
	// and nothing else of it applies. Create.ID must equal InstanceID; when
	// Create.Claim is set, LeaseToken must equal Create.Claim.Token;
	// without it the update may carry nothing else (a queued instance has
	// no lease to fence the rest with). Violations fail the whole batch.
	Create *InstanceCreateParams

	InstanceID string
	// LeaseToken fences the update; it must match the instance's token.
	LeaseToken string
	Now        time.Time

	// Steps are upserted by (InstanceID, Key), replacing the stored row
	// (History is ignored).
	Steps []*Step
	// Attempts are appended to the steps' histories. An attempt already
	// recorded (same step, number and compensation flag) is skipped, so a
	// commit sent again after its answer was lost records nothing twice.
	Attempts []AttemptRecord
	// ConsumeEvents marks events as received by a step.
	ConsumeEvents []EventConsumption
	// CustomStatus, if non-nil, sets the instance's custom status.
	CustomStatus *string

	// State, if non-nil, changes the instance's status. Only waiting,
	// queued, complete, errored and cancelled are accepted, and only while
	// the instance is still running: if an operator changed the status
	// meanwhile (paused, terminated, cancelled: queued), the steps are
	// still recorded but the state change is dropped. Complete, errored
	// and cancelled set FinishedAt = Now and clear Instance.Rollback.
	State *StateChange
	// Release clears the lease after applying the update.
	Release bool
	// Notify lists events for other instances (a child's end for its
	// parent), stored in the update's transaction only if its State
	// change applies, each as EventSend stores one (a waiting instance is
	// made due) but without its limits; one whose instance does not
	// exist or is finished is skipped.
	Notify []*EventSendParams
}

// StateChange is the instance part of an Update.
type StateChange struct {
	Status InstanceStatus
	Output json.RawMessage
	Error  *ErrorInfo
	// WakeAt is when a waiting instance is due (nil: only an event wakes it).
	WakeAt *time.Time
	// AwaitEvents lists the event types the instance waits for. If an
	// unconsumed event of one of these types exists when the instance
	// becomes waiting, WakeAt is set to Now so no event is missed.
	AwaitEvents []string
	// AwaitMatch lists the matched waits of the instance (EventMatch): an
	// unconsumed event of a match's type whose payload matches makes the
	// instance due at once, as AwaitEvents does for a type. Its types are
	// not listed in AwaitEvents, so an event that does not match leaves
	// the instance waiting.
	AwaitMatch []EventMatch
}

// AttemptRecord appends one attempt to a step's history.
type AttemptRecord struct {
	StepKey string
	Attempt Attempt
}

// EventConsumption marks one event as received by a step.
type EventConsumption struct {
	EventID int64
	StepKey string
}

// UpdateResult is the outcome of one Update.
type UpdateResult struct {
	// Err is nil, ErrLeaseLost, or ErrAlreadyExists (Update.Create).
	Err error
	// Status is the instance's status after the update (after a skipped
	// update, its current status; "" if the instance does not exist).
	Status InstanceStatus
}

// Waker is an optional capability of a backend shared by several processes
// (PostgreSQL's LISTEN/NOTIFY): it tells an idle engine that work may be
// due because another process created an instance, sent an event, resumed
// or restarted one. Engines poll as a safety net either way.
type Waker interface {
	// Wakeups delivers a value whenever work may have become runnable. The
	// channel is closed when ctx ends. Deliveries may be coalesced.
	Wakeups(ctx context.Context) (<-chan struct{}, error)
}

// Runs reports whether a claim with p may take an instance of version v:
// p.Versions is nil, v is "", or v is one of p.Versions.
func (p *ClaimParams) Runs(v string) bool {
	return p.Versions == nil || v == "" || slices.Contains(p.Versions, v)
}
