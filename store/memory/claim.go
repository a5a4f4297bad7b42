package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/ordohq/ordo/store"
)

// InstanceClaim leases up to p.Limit runnable instances to p.Owner and
// marks them running: queued instances, waiting ones whose WakeAt <= p.Now,
// and running ones whose lease expired (or was released). Each gets a new
// LeaseToken and Claims+1. It takes expired leases first, then due timers,
// then the queue (store.QueueBefore: higher priority first, then oldest),
// like the SQL backends.
func (s *Store) InstanceClaim(ctx context.Context, p *store.ClaimParams) ([]*store.Instance, error) {
	if p == nil || p.Limit < 1 {
		return nil, errors.New("memory: instance claim: Limit must be at least 1")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance claim: %w", err)
	}
	t := now(p.Now)
	s.mu.Lock()
	defer s.mu.Unlock()
	var expired, due, queued []*store.Instance
	for _, x := range s.instances {
		in := x.in
		if len(p.Workflows) > 0 && !slices.Contains(p.Workflows, in.Workflow) || !p.Runs(in.Version) {
			continue
		}
		if !runnable(in, t) {
			continue
		}
		switch in.Status {
		case store.StatusRunning:
			expired = append(expired, in)
		case store.StatusWaiting:
			due = append(due, in)
		case store.StatusQueued:
			queued = append(queued, in)
		}
	}
	sort.Slice(expired, func(i, j int) bool {
		return timeBefore(expired[i].LeaseExpiresAt, expired[j].LeaseExpiresAt, expired[i].ID, expired[j].ID)
	})
	sort.Slice(due, func(i, j int) bool {
		return timeBefore(due[i].WakeAt, due[j].WakeAt, due[i].ID, due[j].ID)
	})
	sort.Slice(queued, func(i, j int) bool { return store.QueueBefore(queued[i], queued[j]) })

	var out []*store.Instance
	until := norm(p.LeaseUntil)
	for _, in := range slices.Concat(expired, due, queued) {
		if len(out) == p.Limit {
			break
		}
		lost := in.Status == store.StatusRunning && in.LeaseExpiresAt != nil
		becameDue := dueAt(in)
		in.Status = store.StatusRunning
		in.LeaseOwner = p.Owner
		in.LeaseToken = uuid.NewString()
		in.LeaseExpiresAt = &until
		in.Claims++
		if in.StartedAt == nil {
			in.StartedAt = &t
		}
		if in.Version == "" {
			in.Version = p.Version
		}
		in.UpdatedAt = t
		in.WakeAt = nil
		c := cloneInstance(in)
		c.LeaseExpired = lost
		c.DueAt = &becameDue
		out = append(out, c)
	}
	return out, nil
}

// timeBefore orders optional times, nil first, then by ID.
func timeBefore(a, b *time.Time, aID, bID string) bool {
	switch {
	case a == nil && b == nil:
		return aID < bID
	case a == nil:
		return true
	case b == nil:
		return false
	case !a.Equal(*b):
		return a.Before(*b)
	}
	return aID < bID
}

// InstanceHeartbeat extends the leases p.Tokens still hold to p.LeaseUntil
// and reports, per token, whether it is held and the instance's status.
func (s *Store) InstanceHeartbeat(ctx context.Context, p *store.HeartbeatParams) ([]store.HeartbeatResult, error) {
	if p == nil || len(p.Tokens) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance heartbeat: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	byToken := make(map[string]*store.Instance)
	for _, x := range s.instances {
		if x.in.LeaseToken != "" {
			byToken[x.in.LeaseToken] = x.in
		}
	}
	until := norm(p.LeaseUntil)
	out := make([]store.HeartbeatResult, len(p.Tokens))
	for i, tok := range p.Tokens {
		out[i].Token = tok
		in, ok := byToken[tok]
		if !ok {
			continue
		}
		in.LeaseExpiresAt = &until
		out[i].InstanceID = in.ID
		out[i].Held = true
		out[i].Status = in.Status
	}
	return out, nil
}

// NextWakeAt returns the earliest WakeAt among waiting instances, or false
// when none waits on a timer.
func (s *Store) NextWakeAt(ctx context.Context) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, fmt.Errorf("memory: next wake: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var next *time.Time
	for _, x := range s.instances {
		if x.in.Status == store.StatusWaiting && x.in.WakeAt != nil && (next == nil || x.in.WakeAt.Before(*next)) {
			next = x.in.WakeAt
		}
	}
	if next == nil {
		return time.Time{}, false, nil
	}
	return *next, true, nil
}
