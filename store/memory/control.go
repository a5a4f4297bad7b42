package memory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// InstanceControl applies an operator action atomically: pause (queued,
// running, waiting → paused; a running instance keeps its lease so its
// worker stops at the next step boundary), resume (paused → queued, lease
// cleared), terminate (any non-terminal status → terminated, lease kept so
// the worker learns it from its heartbeat) and restart (any status →
// queued; see store.ActionRestart). A terminate or cancel applies the
// children's policies in its transaction (store.CloseChildren). A
// forbidden action returns store.ErrInvalidTransition; an unknown
// instance, store.ErrNotFound.
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
	if err := store.CheckAction(p, in.Status); err != nil {
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
		s.notify(p.Notify)
		in.UpdatedAt = t
		return s.closeChildren(p)
	case store.ActionCancel:
		rb, err := store.CancelRollback(p, in.Status, in.Rollback != nil)
		if err != nil {
			return err
		}
		in.Status = store.StatusQueued
		in.WakeAt, in.FinishedAt = nil, nil
		in.Rollback = cloneRollback(rb)
		in.UpdatedAt = t
		return s.closeChildren(p)
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
		if err := x.restart(p, t); err != nil {
			return err
		}
	}
	in.UpdatedAt = t
	return nil
}

// restart applies store.PlanRestart: the ended run is recorded, the
// steps it re-runs leave the journal with their attempts (their events
// become unconsumed) and the instance is queued for the next run.
func (x *instance) restart(p *store.ControlParams, t time.Time) error {
	in := x.in
	steps := make([]*store.Step, 0, len(x.steps))
	for _, st := range x.steps {
		c := cloneStep(st)
		for _, a := range x.history[st.Key] {
			c.History = append(c.History, cloneAttempt(a))
		}
		steps = append(steps, c)
	}
	var started time.Time
	if n := len(x.runs); n > 0 {
		started = x.runs[n-1].EndedAt
	}
	q := *p
	q.Now = t
	plan, err := store.PlanRestart(cloneInstance(in), steps, &q, started)
	if err != nil {
		return err
	}
	archived := make(map[string]bool, len(plan.Archive))
	for _, key := range plan.Archive {
		archived[key] = true
		delete(x.steps, key)
		delete(x.history, key)
	}
	for _, key := range plan.ResetCompensation {
		st := x.steps[key]
		st.CompensationStatus, st.CompensationError, st.CompensationAttempts, st.CompensationNextAt = store.CompNone, nil, 0, nil
		st.CompensationBase = 0
	}
	for _, ev := range x.events {
		if archived[ev.ConsumedBy] {
			ev.ConsumedBy = ""
		}
	}
	x.runs = append(x.runs, plan.Run)
	in.Status = store.StatusQueued
	in.Rollback = nil
	in.Output, in.Error, in.WakeAt, in.FinishedAt = nil, nil, nil, nil
	in.CustomStatus = plan.CustomStatus
	in.LeaseOwner, in.LeaseToken, in.LeaseExpiresAt = "", "", nil
	if plan.Params != nil {
		in.Params = cloneRaw(plan.Params)
	}
	in.Run = plan.Run.Number + 1
	if !plan.KeepVersion {
		in.Version = ""
	}
	return nil
}

// InstanceRuns returns the ended runs of an instance, oldest first.
func (s *Store) InstanceRuns(ctx context.Context, id string) ([]*store.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance runs %q: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[id]
	if !ok {
		return nil, fmt.Errorf("memory: instance runs %q: %w", id, store.ErrNotFound)
	}
	out := make([]*store.Run, 0, len(x.runs))
	for _, r := range x.runs {
		// The record is kept as written; a copy through its stored form
		// keeps callers from aliasing it.
		b, err := store.EncodeRun(r)
		if err != nil {
			return nil, fmt.Errorf("memory: instance runs %q: %w", id, err)
		}
		c, err := store.DecodeRun(id, b)
		if err != nil {
			return nil, fmt.Errorf("memory: instance runs %q: %w", id, err)
		}
		out = append(out, c)
	}
	return out, nil
}
