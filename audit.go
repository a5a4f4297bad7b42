package ordo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// The operator audit trail records every operator action (see
// store.Action): who (Actor), when, what, the reason (Reason) and, where
// data changes, the before and after. Control actions (Pause, Resume,
// Terminate, Restart, Cancel, Compensation) write their entry in the
// store's transaction of the action. Actions whose store call cannot carry
// an entry (schedule and webhook changes, key revocation) record it with
// RecordAction right after the change.

// ActionEntry returns the audit entry of action taken with ctx at now: its
// actor (Actor) and reason (Reason), nothing else filled in.
func ActionEntry(ctx context.Context, now time.Time, action string) *store.Action {
	return &store.Action{At: now, Actor: Actor(ctx), Action: action, Reason: Reason(ctx)}
}

// RecordAction appends a to the audit trail of st when st keeps one
// (store.ActionStore; a store without one records nothing), filling At
// (now), Actor (Actor(ctx)) and Reason (Reason(ctx)) where a leaves them
// empty. Call it right after a change whose store call could not carry
// its entry; the change stands if it fails, so the caller logs the error.
func RecordAction(ctx context.Context, st any, now time.Time, a *store.Action) error {
	as, ok := st.(store.ActionStore)
	if !ok {
		return nil
	}
	c := *a
	if c.At.IsZero() {
		c.At = now
	}
	if c.Actor == "" {
		c.Actor = Actor(ctx)
	}
	if c.Reason == "" {
		c.Reason = Reason(ctx)
	}
	if err := as.ActionAppend(ctx, &c); err != nil {
		return fmt.Errorf("record %s of %s%s in the audit trail: %w", c.Action, c.InstanceID, c.Target, err)
	}
	return nil
}

// ActionData is v as an entry's Before or After: its JSON, or nil for nil
// (and for a value that does not encode, which the types recorded never
// are).
func ActionData(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// RecordAction is the package's RecordAction on the engine's store and
// clock.
func (e *Engine) RecordAction(ctx context.Context, a *store.Action) error {
	return RecordAction(ctx, e.store, e.clock.Now(), a)
}

// Actions returns a page of the audit trail, newest first, filtered as p
// says (see store.ActionListParams; nil lists everything). A filter or
// cursor the store refuses wraps ErrInvalidArgument; a store that keeps no
// audit trail, ErrNotFound.
func (e *Engine) Actions(ctx context.Context, p *store.ActionListParams) (*store.ActionPage, error) {
	as, ok := e.store.(store.ActionStore)
	if !ok {
		return nil, &Error{Sentinel: ErrNotFound, Message: fmt.Sprintf("audit trail: the store (%T) keeps none", e.store)}
	}
	page, err := as.ActionList(ctx, p)
	if err != nil {
		return nil, storeError("list the audit trail", err, "")
	}
	return page, nil
}
