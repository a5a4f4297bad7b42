package store

import (
	"encoding/json"
	"time"
)

// Action is one entry of the operator audit trail: who did what to which
// instance (or flow, schedule, webhook, key), when, why, and what changed.
// Engine control actions carry one in ControlParams.Audit, and a backend
// that keeps an audit trail writes it in the same transaction as the
// action itself.
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
	// "schedule.create", "webhook.delete", "bulk.start", ...
	Action string `json:"action"`
	// InstanceID is the instance acted on, "" for an action on something
	// else (then Target names it, for example "flow/shop").
	InstanceID string `json:"instanceId,omitempty"`
	Target     string `json:"target,omitempty"`
	// Reason is what the operator gave as the reason, if anything.
	Reason string `json:"reason,omitempty"`
	// Before and After hold what the action changed, where it changes
	// data (a redrive's params, a flow's version), as JSON.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}
