package store

import (
	"context"
	"encoding/json"
	"time"
)

// Action is one entry of the operator audit trail: who did what to which
// instance (or flow, schedule, webhook, key), when, why, and what changed.
// Engine control actions carry one in ControlParams.Audit, and a backend
// that keeps an audit trail (ActionStore) writes it in the same
// transaction as the action itself.
type Action struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Actor is the name of the API key that acted, or "local" where no key
	// is in use (a Go program, the CLI on the database, a server without
	// authentication).
	Actor string `json:"actor"`
	// Action names what was done: "pause", "resume", "terminate",
	// "cancel", "restart", "redrive", "compensation.retry",
	// "compensation.done", "compensation.skip", "flow.apply",
	// "schedule.create", "webhook.delete", "bulk.start", ... (see the
	// Action* names below for those outside the ControlAction list).
	Action string `json:"action"`
	// InstanceID is the instance acted on, "" for an action on something
	// else (then Target names it, for example "flow/shop").
	InstanceID string `json:"instanceId,omitempty"`
	Target     string `json:"target,omitempty"`
	// Reason is what the operator gave as the reason, if anything.
	Reason string `json:"reason,omitempty"`
	// Before and After hold what the action changed, where it changes
	// data (a redrive's params, a flow's version), as JSON. Secrets
	// (webhook secrets, key material) are never recorded.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// Names of the recorded actions that are not a ControlAction on an
// instance. Their Target is "<kind>/<id>": "flow/shop", "schedule/nightly",
// "webhook/erp", "key/ci".
const (
	ActionFlowApply        = "flow.apply"
	ActionScheduleCreate   = "schedule.create"
	ActionScheduleUpdate   = "schedule.update"
	ActionSchedulePause    = "schedule.pause"
	ActionScheduleResume   = "schedule.resume"
	ActionScheduleDelete   = "schedule.delete"
	ActionScheduleTrigger  = "schedule.trigger"
	ActionScheduleBackfill = "schedule.backfill"
	ActionWebhookCreate    = "webhook.create"
	ActionWebhookDelete    = "webhook.delete"
	ActionWebhookRedeliver = "webhook.redeliver"
	ActionKeyCreate        = "key.create"
	ActionKeyRevoke        = "key.revoke"
	// ActionInstanceDelete is the deletion of one finished instance
	// (PurgeStore.InstanceDelete); ActionInstancePurge that of a batch
	// an operator's purge selected. Retention's deletions are not
	// operator actions and are not recorded.
	ActionInstanceDelete = "instance.delete"
	ActionInstancePurge  = "instance.purge"
	// ActionStepComplete and ActionStepFail: the result of an
	// asynchronous step was reported; Target is "step/<key>", After the
	// result (store.StepResult).
	ActionStepComplete = "step.complete"
	ActionStepFail     = "step.fail"
)

// ActionStore is an optional capability of a backend: it keeps the
// operator audit trail. Discover it with a type assertion:
//
//	as, ok := st.(store.ActionStore)
//
// A backend that has it also writes ControlParams.Audit in the transaction
// of InstanceControl, FlowPutParams.Audit in that of FlowPut (when a
// version is created) and KeyCreateParams.Audit in that of KeyCreate, so
// an action that did not commit leaves no entry and none commits without
// its entry. Entries are never changed or deleted.
type ActionStore interface {
	// ActionAppend records entries, all in one transaction. Each is
	// checked with PrepareAction (one bad entry fails the batch, an
	// *Error matching ErrInvalidArgument); IDs are assigned by the store,
	// increasing.
	ActionAppend(ctx context.Context, entries ...*Action) error
	// ActionList returns the entries that match p newest first (by At,
	// then ID), paginated like InstanceList (see ParseActionList).
	ActionList(ctx context.Context, p *ActionListParams) (*ActionPage, error)
}

// ActionListParams filter and page ActionStore.ActionList. Every filter
// left empty matches all entries.
type ActionListParams struct {
	InstanceID string
	// Action matches the action name exactly ("pause", "flow.apply").
	Action string
	Actor  string
	Target string
	// Since, if set, keeps the entries at or after it; Until, if set,
	// those before it.
	Since, Until time.Time
	Limit        int    // 1..1000 (more is capped); 0 means 50; see ListLimit
	Cursor       string // opaque, from ActionPage.NextCursor
}

// ActionPage is one page of ActionStore.ActionList.
type ActionPage struct {
	Actions []*Action `json:"actions"`
	// NextCursor continues the listing; "" when there is no more.
	NextCursor string `json:"nextCursor,omitempty"`
}
