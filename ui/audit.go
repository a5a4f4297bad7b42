package ui

import (
	"context"

	"github.com/ordohq/ordo/store"
)

// auditLimit is how many audit entries an instance or order page shows.
const auditLimit = 50

// auditView is the audit trail of one instance: who did what, when and
// why, newest first.
type auditView struct {
	// Kept is false when the store keeps no audit trail.
	Kept  bool
	Rows  []auditRow
	More  bool // older entries exist
	Error string
}

// auditRow is one operator action.
type auditRow struct {
	At                    *timeView
	Actor, Action, Reason string
	Before, After         string
}

// audit reads the newest entries of the audit trail of instance id.
func (h *handler) audit(ctx context.Context, id string) auditView {
	as, ok := h.engine.Store().(store.ActionStore)
	if !ok {
		return auditView{}
	}
	v := auditView{Kept: true}
	page, err := as.ActionList(ctx, &store.ActionListParams{InstanceID: id, Limit: auditLimit})
	if err != nil {
		h.log.Error("ordo ui: list audit entries", "id", id, "err", err)
		v.Error = "The audit trail could not be read."
		return v
	}
	fc := h.clockFormat()
	for _, a := range page.Actions {
		v.Rows = append(v.Rows, auditRow{At: fc.at(&a.At), Actor: a.Actor, Action: a.Action, Reason: a.Reason,
			Before: compactJSON(a.Before, 300), After: compactJSON(a.After, 300)})
	}
	v.More = page.NextCursor != ""
	return v
}
