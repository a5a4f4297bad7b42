package ordo

import (
	"encoding/json"
	"time"

	"github.com/ordohq/ordo/store"
)

// Status is an instance's lifecycle status.
type Status = store.InstanceStatus

// Instance statuses, re-exported from package store.
const (
	StatusQueued     = store.StatusQueued
	StatusRunning    = store.StatusRunning
	StatusWaiting    = store.StatusWaiting
	StatusPaused     = store.StatusPaused
	StatusComplete   = store.StatusComplete
	StatusErrored    = store.StatusErrored
	StatusTerminated = store.StatusTerminated
	StatusCancelled  = store.StatusCancelled
)

// ErrorInfo is a persisted error.
type ErrorInfo = store.ErrorInfo

// StepRecord is one journal entry of an instance: a step, a sleep or an
// event wait, with its attempts and compensation status.
type StepRecord = store.Step

// Instance is a workflow instance as the engine reports it. Steps is filled
// by Engine.Get (and empty in lists).
type Instance struct {
	store.Instance
	// Reason, when set, says why the unfinished instance does not move on
	// (ReasonUnregisteredWorkflow), as far as the running engine that
	// reported it knows; Engine.Get and Engine.List set it.
	Reason InstanceReason `json:"reason,omitempty"`
	Steps  []*StepRecord  `json:"steps,omitempty"`
}

// CreateOptions configure Engine.Create. nil means defaults.
type CreateOptions struct {
	// ID is the instance ID. Default: a new time-ordered UUID. Creating an
	// ID that exists fails with ErrAlreadyExists.
	ID string
	// Reservation lets the holder of a reserved workflow prefix create
	// instances of its workflows (see Engine.ReservePrefix). Default nil:
	// only unreserved workflows.
	Reservation *Reservation
	// Attributes are the instance's search attributes, stored with it in
	// the same transaction and matched by ListOptions.Attributes (at most
	// store.MaxAttributes; keys of letters, digits and ._-:). Default none.
	Attributes []Attribute
	// Priority is the instance's place in the queue, store.MinPriority
	// (-100) to store.MaxPriority (100): when workers are busy, queued
	// instances of higher priority are claimed first, the oldest first
	// within one priority. It orders the queue only: an instance that is
	// already running, or waiting on a timer that is due, is claimed before
	// any queued one. Default 0.
	Priority int
}

// Attribute is a search attribute of an instance: a key and a value that
// listings match exactly (as Temporal's search attributes).
type Attribute = store.Attribute

// ListOptions filter Engine.List. The zero value lists the newest 50;
// every filter set must match. It is plain JSON, so a filter can be saved
// and replayed.
type ListOptions struct {
	Workflow       string `json:"workflow,omitempty"`
	WorkflowPrefix string `json:"workflowPrefix,omitempty"`
	Status         Status `json:"status,omitempty"`
	// CustomStatus matches the custom status ignoring ASCII case.
	CustomStatus string `json:"customStatus,omitempty"`
	// NoCustomStatus matches instances without a custom status.
	NoCustomStatus bool `json:"noCustomStatus,omitempty"`
	// IDPrefix matches instance IDs that start with it.
	IDPrefix string `json:"idPrefix,omitempty"`
	// ParentID matches the children of that instance (ExecuteChild,
	// StartChild).
	ParentID string `json:"parentId,omitempty"`
	// Attributes match instances holding every one of them (at most
	// store.MaxAttributeFilters); put the most selective first, it drives
	// the index scan.
	Attributes []Attribute `json:"attributes,omitempty"`
	// Creation and finish time bounds: at or after the After bound,
	// strictly before the Before bound; zero is unbounded. A finish bound
	// leaves out unfinished instances.
	CreatedAfter   time.Time `json:"createdAfter,omitzero"`
	CreatedBefore  time.Time `json:"createdBefore,omitzero"`
	FinishedAfter  time.Time `json:"finishedAfter,omitzero"`
	FinishedBefore time.Time `json:"finishedBefore,omitzero"`
	// Limit is the page size, 1..1000. Default 50.
	Limit int `json:"limit,omitempty"`
	// Cursor continues a previous page (InstancePage.NextCursor).
	Cursor string `json:"cursor,omitempty"`
}

// storeParams returns the store's form of o.
func (o *ListOptions) storeParams() *store.InstanceListParams {
	return &store.InstanceListParams{
		Workflow: o.Workflow, WorkflowPrefix: o.WorkflowPrefix, Status: o.Status, CustomStatus: o.CustomStatus,
		NoCustomStatus: o.NoCustomStatus, IDPrefix: o.IDPrefix, ParentID: o.ParentID, Attributes: o.Attributes,
		CreatedAfter: o.CreatedAfter, CreatedBefore: o.CreatedBefore, FinishedAfter: o.FinishedAfter,
		FinishedBefore: o.FinishedBefore, Limit: o.Limit, Cursor: o.Cursor,
	}
}

// InstancePage is one page of instances, newest first.
type InstancePage struct {
	Instances  []*Instance `json:"instances"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

// RestartOptions configure Engine.Restart. nil restarts from the beginning.
type RestartOptions struct {
	// FromStep names the step to restart from: results of the steps before
	// it are kept and replayed; it and every later step run again. Default
	// "": from the beginning.
	FromStep string
	// Params, if non-nil, replace the instance's params for the new run (a
	// redrive); checked as Create checks params. Default nil: the same
	// params.
	Params json.RawMessage
	// AllowCompensated restarts from FromStep even though compensations
	// already undid earlier steps: those steps run again too (default
	// false: such a restart is refused with ErrInvalidTransition).
	AllowCompensated bool
	// Reason is the operator's reason, recorded in the ended run's record
	// and the audit trail. Default: the reason of ctx (WithReason).
	Reason string
}

// Run is an ended run of an instance (see Engine.Runs).
type Run = store.Run

// WorkflowInfo describes a registered workflow.
type WorkflowInfo struct {
	Name string `json:"name"`
}
