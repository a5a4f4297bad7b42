package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.LimitStore = (*Store)(nil)

// limitTable holds the state of the named step limits (store.LimitStore),
// guarded by Store.mu since a slot's liveness reads the instances.
type limitTable map[string]*limitState

// limitState is one limit's slots, rate grants and waiters.
type limitState struct {
	slots   map[slotKey]string // the lease token each slot was acquired under
	grants  []time.Time
	waiters map[slotKey]place
}

// place is a waiter's place in line (store.LimitWaiter).
type place struct{ since, activeUntil time.Time }

// slotKey is a step of an instance.
type slotKey struct{ instanceID, stepKey string }

// LimitAcquire grants a slot of p.Limit or says when to try again.
func (s *Store) LimitAcquire(ctx context.Context, p *store.LimitAcquireParams) (*store.LimitGrant, error) {
	if err := store.ValidateLimitAcquire(p); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: limit acquire: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[p.InstanceID]
	if !ok || x.in.LeaseToken == "" || x.in.LeaseToken != p.LeaseToken {
		return nil, fmt.Errorf("memory: limit %q acquire for %q of %q: %w", p.Limit.Name, p.StepKey, p.InstanceID, store.ErrLeaseLost)
	}
	if s.limits == nil {
		s.limits = make(limitTable)
	}
	l := s.limits[p.Limit.Name]
	if l == nil {
		l = &limitState{slots: make(map[slotKey]string), waiters: make(map[slotKey]place)}
		s.limits[p.Limit.Name] = l
	}
	t := now(p.Now)
	me := slotKey{p.InstanceID, p.StepKey}
	waiters := s.waiters(l)
	var own *store.LimitWaiter
	for i := range waiters {
		if waiters[i].InstanceID == me.instanceID && waiters[i].StepKey == me.stepKey {
			own = &waiters[i]
		}
	}
	d := store.DecideLimit(p, t, s.holders(l), store.LimitWaitersAhead(t, own, waiters), l.grants)
	for _, h := range d.Dead {
		delete(l.slots, slotKey{h.InstanceID, h.StepKey})
	}
	if p.Limit.Rate > 0 {
		kept := l.grants[:0]
		for _, g := range l.grants {
			if g.After(d.PruneBefore) {
				kept = append(kept, g)
			}
		}
		l.grants = kept
	}
	if !d.Grant.Granted {
		if d.ActiveUntil.IsZero() { // a rate alone keeps no line
			return &d.Grant, nil
		}
		pl := place{since: t, activeUntil: d.ActiveUntil}
		if own != nil && own.Active(t) {
			pl.since = own.Since
		}
		l.waiters[me] = pl
		return &d.Grant, nil
	}
	delete(l.waiters, me)
	if d.Hold {
		l.slots[me] = p.LeaseToken
	}
	if d.Take {
		l.grants = append(l.grants, d.At)
	}
	return &d.Grant, nil
}

// holders returns l's slots with their liveness inputs (s.mu held).
func (s *Store) holders(l *limitState) []store.LimitHolder {
	out := make([]store.LimitHolder, 0, len(l.slots))
	for k, token := range l.slots {
		h := store.LimitHolder{InstanceID: k.instanceID, StepKey: k.stepKey, SlotToken: token}
		if x, ok := s.instances[k.instanceID]; ok {
			h.Status, h.LeaseToken, h.LeaseExpiresAt = x.in.Status, x.in.LeaseToken, x.in.LeaseExpiresAt
			if st := x.steps[k.stepKey]; st != nil {
				h.StepStatus = st.Status
			}
		}
		out = append(out, h)
	}
	return out
}

// LimitRelease frees the step's slot and wakes the oldest waiter.
func (s *Store) LimitRelease(ctx context.Context, p *store.LimitReleaseParams) (bool, error) {
	if err := store.ValidateLimitRelease(p); err != nil {
		return false, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memory: limit release: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limits[p.Limit]
	if l == nil {
		return false, nil
	}
	if k := (slotKey{p.InstanceID, p.StepKey}); p.LeaseToken == "" || l.slots[k] == p.LeaseToken {
		delete(l.slots, k)
	}
	t := now(p.Now)
	woke := false
	n := store.LimitWakeCount(p.Concurrency, store.LiveHolders(s.holders(l), t))
	for _, w := range store.LimitWake(t, s.waiters(l), n) {
		x := s.instances[w.InstanceID]
		x.in.WakeAt = &t
		x.in.UpdatedAt = t
		woke = true
	}
	return woke, nil
}

// waiters returns l's waiters with their instances' status (s.mu held);
// those of deleted instances are dropped.
func (s *Store) waiters(l *limitState) []store.LimitWaiter {
	out := make([]store.LimitWaiter, 0, len(l.waiters))
	for k, pl := range l.waiters {
		x, ok := s.instances[k.instanceID]
		if !ok {
			delete(l.waiters, k)
			continue
		}
		out = append(out, store.LimitWaiter{InstanceID: k.instanceID, StepKey: k.stepKey, Since: pl.since,
			ActiveUntil: pl.activeUntil, Status: x.in.Status, WakeAt: x.in.WakeAt})
	}
	return out
}
