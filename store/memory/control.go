package memory

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordohq/ordo/store"
)

// InstanceControl applies an operator action atomically: pause (queued,
// running, waiting → paused; a running instance keeps its lease so its
// worker stops at the next step boundary), resume (paused → queued, lease
// cleared), terminate (any non-terminal status → terminated, lease kept so
// the worker learns it from its heartbeat) and restart (any status →
// queued; see store.ActionRestart). A forbidden action returns
// store.ErrInvalidTransition; an unknown instance, store.ErrNotFound.
func (s *Store) InstanceControl(ctx context.Context, p *store.ControlParams) (*store.Instance, error) {
	if p == nil {
		return nil, errors.New("memory: instance control: nil params")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance control %q: %w", p.InstanceID, err)
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, fmt.Errorf("memory: instance control %q: %w", p.InstanceID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.control(p); err != nil {
		return nil, fmt.Errorf("memory: instance control %q %s: %w", p.InstanceID, p.Action, err)
	}
	s.actions.add(audit) // under s.mu: seen with the action
	return cloneInstance(s.instances[p.InstanceID].in), nil
}

func (s *Store) control(p *store.ControlParams) error {
	x, ok := s.instances[p.InstanceID]
	if !ok {
		return store.ErrNotFound
	}
	in := x.in
	t := now(p.Now)
	if err := store.CheckControl(p.InstanceID, p.Action, in.Status); err != nil {
		return err
	}
	switch p.Action {
	case store.ActionPause:
		in.Status = store.StatusPaused
	case store.ActionResume:
		in.Status = store.StatusQueued
		in.WakeAt = nil
		in.LeaseOwner, in.LeaseToken, in.LeaseExpiresAt = "", "", nil
	case store.ActionTerminate:
		in.Status = store.StatusTerminated
		in.FinishedAt = &t
		in.WakeAt = nil
		in.Rollback = nil
		s.hooks.report(in, []store.WebhookChange{store.TerminatedChange(in.CustomStatus)}, t)
	case store.ActionCancel:
		rb, err := store.CancelRollback(p, in.Status, in.Rollback != nil)
		if err != nil {
			return err
		}
		in.Status = store.StatusQueued
		in.WakeAt = nil
		in.Rollback = cloneRollback(rb)
	case store.ActionCompensationRetry, store.ActionCompensationDone, store.ActionCompensationSkip:
		var step *store.Step
		if st, ok := x.steps[p.StepKey]; ok {
			step = cloneStep(st)
		}
		next, rb, err := store.CompensationAction(p, in.Status, in.Error, step)
		if err != nil {
			return err
		}
		x.steps[p.StepKey] = cloneStep(next)
		in.Status = store.StatusQueued
		in.WakeAt, in.FinishedAt = nil, nil
		in.Rollback = cloneRollback(rb)
	case store.ActionRestart:
		if err := x.truncateJournal(p.FromStep); err != nil {
			return err
		}
		in.Status = store.StatusQueued
		in.Rollback = nil
		in.Output, in.Error, in.WakeAt, in.FinishedAt = nil, nil, nil, nil
		in.CustomStatus = ""
		in.LeaseOwner, in.LeaseToken, in.LeaseExpiresAt = "", "", nil
	}
	in.UpdatedAt = t
	return nil
}

// truncateJournal deletes the steps a restart from step from re-runs ("":
// all of them), with their attempts, and un-consumes the events those steps
// had received.
func (x *instance) truncateJournal(from string) error {
	deleted := make(map[string]bool)
	if from == "" {
		for key := range x.steps {
			deleted[key] = true
		}
		x.history = make(map[string][]store.Attempt)
	} else {
		first := -1
		for _, st := range x.steps {
			if st.Name == from && (first < 0 || st.Ordinal < first) {
				first = st.Ordinal
			}
		}
		if first < 0 {
			return store.RestartUnknownStep(x.in.ID, from)
		}
		for key, st := range x.steps {
			if st.Ordinal < first && st.CompensationStatus == store.CompCompleted {
				return store.RestartCompensated(x.in.ID, x.in.Status, from)
			}
			if st.Ordinal >= first {
				deleted[key] = true
			}
		}
	}
	for key := range deleted {
		delete(x.steps, key)
		delete(x.history, key)
	}
	for _, ev := range x.events {
		if from == "" || deleted[ev.ConsumedBy] {
			ev.ConsumedBy = ""
		}
	}
	return nil
}
