package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.StatsStore = (*Store)(nil)

// InstanceStats counts the unfinished instances by status and finds the
// oldest runnable one no worker holds (see store.StatsStore).
func (s *Store) InstanceStats(ctx context.Context, now time.Time) (*store.InstanceStats, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance stats: %w", err)
	}
	t := norm(now)
	out := store.NewInstanceStats()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.instances {
		in := x.in
		if !slices.Contains(store.UnfinishedStatuses, in.Status) {
			continue
		}
		out.ByStatus[in.Status]++
		if runnable(in, t) {
			out.NoteDue(dueAt(in))
		}
	}
	return out, nil
}

// runnable reports whether a claim at t may take in.
func runnable(in *store.Instance, t time.Time) bool {
	switch in.Status {
	case store.StatusRunning:
		return in.LeaseExpiresAt == nil || !in.LeaseExpiresAt.After(t)
	case store.StatusWaiting:
		return in.WakeAt != nil && !in.WakeAt.After(t)
	}
	return in.Status == store.StatusQueued
}

// dueAt is when a runnable instance became due (store.Instance.DueAt): an
// expired lease's end, a due timer, else (queued, or running without a
// lease) its last update.
func dueAt(in *store.Instance) time.Time {
	switch {
	case in.Status == store.StatusRunning && in.LeaseExpiresAt != nil:
		return *in.LeaseExpiresAt
	case in.Status == store.StatusWaiting && in.WakeAt != nil:
		return *in.WakeAt
	}
	return in.UpdatedAt
}
