package store

import "encoding/json"

// ChildResultType is the event type a child instance's end sends to its
// parent (Update.Notify, ControlParams.Notify): "ordo.child:" and the
// child's ID. Engines refuse event types starting with "ordo." from
// callers, so none can forge one.
func ChildResultType(childID string) string { return "ordo.child:" + childID }

// ChildResult is the payload of a child's result event: how it ended,
// with its output or error.
type ChildResult struct {
	ID     string          `json:"id"`
	Status InstanceStatus  `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  *ErrorInfo      `json:"error,omitempty"`
}
