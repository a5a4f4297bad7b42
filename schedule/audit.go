package schedule

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// The schedule store's calls take no audit entry, so every management
// call records its entry (store.ActionSchedule*) right after its change,
// with the actor and reason of ctx.

// audit appends the entry of action on schedule id; a failure is logged
// (the change stands).
func (s *Scheduler) audit(ctx context.Context, action, id string, before, after any) {
	a := &store.Action{Action: action, Target: "schedule/" + id, Before: ordo.ActionData(before), After: ordo.ActionData(after)}
	if err := s.eng.RecordAction(ctx, a); err != nil {
		s.log.Error("schedule: changed but not recorded in the audit trail", "schedule", id, "action", action, "err", err)
	}
}

// specFields is a stored schedule's definition as its fields, paused
// included.
func specFields(spec json.RawMessage, paused bool) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(spec, &m) // a stored spec is an object
	if m == nil {
		m = make(map[string]json.RawMessage)
	}
	m["paused"] = ordo.ActionData(paused)
	return m
}

// changedFields returns the fields whose value differs between two
// definitions (specFields), as they were and as they are; a field only
// one side has is null on the other.
func changedFields(old, cur map[string]json.RawMessage) (before, after map[string]json.RawMessage) {
	before, after = map[string]json.RawMessage{}, map[string]json.RawMessage{}
	null := json.RawMessage("null")
	for k, v := range cur {
		if o, ok := old[k]; !ok || !jsonEqual(o, v) {
			before[k], after[k] = null, v
			if ok {
				before[k] = o
			}
		}
	}
	for k, o := range old {
		if _, ok := cur[k]; !ok {
			before[k], after[k] = o, null
		}
	}
	return before, after
}

// jsonEqual compares two JSON values as compact text.
func jsonEqual(a, b json.RawMessage) bool {
	var x, y bytes.Buffer
	if json.Compact(&x, a) != nil || json.Compact(&y, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}
