package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/ordohq/ordo/store"
)

// Commit applies updates atomically under the lock. Each update is fenced
// by its lease token: one whose token does not match is skipped and
// reported as store.ErrLeaseLost, the others apply.
func (s *Store) Commit(ctx context.Context, updates []*store.Update) ([]store.UpdateResult, error) {
	if err := store.ValidateUpdates(updates); err != nil {
		return nil, fmt.Errorf("memory: commit: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: commit: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	results := make([]store.UpdateResult, len(updates))
	for i, u := range updates {
		results[i] = s.apply(u)
	}
	return results, nil
}

func (s *Store) apply(u *store.Update) store.UpdateResult {
	if u.Create != nil {
		in, err := s.create(u.Create, u.Now)
		if err != nil {
			return store.UpdateResult{Err: err, Status: in.Status}
		}
		if u.Create.Claim == nil {
			return store.UpdateResult{Status: in.Status}
		}
	}
	x, ok := s.instances[u.InstanceID]
	if !ok {
		return store.UpdateResult{Err: store.ErrLeaseLost}
	}
	in := x.in
	if u.LeaseToken == "" || in.LeaseToken != u.LeaseToken {
		return store.UpdateResult{Err: store.ErrLeaseLost, Status: in.Status}
	}
	t := now(u.Now)
	for _, st := range u.Steps {
		c := cloneStep(st)
		c.InstanceID = u.InstanceID
		x.steps[c.Key] = c
	}
	for _, a := range u.Attempts {
		if !hasAttempt(x.history[a.StepKey], a.Attempt) {
			x.history[a.StepKey] = append(x.history[a.StepKey], cloneAttempt(a.Attempt))
		}
	}
	for _, c := range u.ConsumeEvents {
		for _, ev := range x.events {
			if ev.ID == c.EventID {
				ev.ConsumedBy = c.StepKey
			}
		}
	}
	prevCustom, prevStatus := in.CustomStatus, in.Status
	if u.CustomStatus != nil {
		in.CustomStatus = *u.CustomStatus
	}
	if sc := u.State; sc != nil && in.Status == store.StatusRunning {
		in.Status = sc.Status
		in.Output = cloneRaw(sc.Output)
		in.Error = cloneError(sc.Error)
		in.WakeAt = nil
		in.FinishedAt = nil
		switch sc.Status {
		case store.StatusWaiting:
			in.WakeAt = normPtr(sc.WakeAt)
			for _, ev := range x.events {
				if ev.ConsumedBy == "" && (slices.Contains(sc.AwaitEvents, ev.Type) ||
					store.MatchesAny(sc.AwaitMatch, ev.Type, ev.Payload)) {
					in.WakeAt = &t
					break
				}
			}
		case store.StatusComplete, store.StatusErrored, store.StatusCancelled:
			in.FinishedAt = &t
			in.Rollback = nil
		}
		s.notify(u.Notify)
	}
	if u.Release {
		in.LeaseOwner, in.LeaseToken, in.LeaseExpiresAt = "", "", nil
	}
	in.UpdatedAt = t
	if len(s.hooks.hooks) > 0 {
		s.hooks.report(in, store.ReportedChanges(u, prevCustom, prevStatus), t)
	}
	return store.UpdateResult{Status: in.Status}
}

// hasAttempt reports whether the history holds an attempt with a's number
// and kind: an attempt is recorded once, even if its commit is sent again.
func hasAttempt(history []store.Attempt, a store.Attempt) bool {
	for _, h := range history {
		if h.Number == a.Number && h.Compensation == a.Compensation {
			return true
		}
	}
	return false
}
