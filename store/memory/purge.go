package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/ordohq/ordo/store"
)

var _ store.PurgeStore = (*Store)(nil)

// PurgeLock takes the store's purge lock if it is free.
func (s *Store) PurgeLock(ctx context.Context) (func(), bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("memory: purge lock: %w", err)
	}
	unlock, ok := s.purgeLock.TryLock()
	return unlock, ok, nil
}

// InstancePurgeList returns up to p.Limit IDs of instances p matches,
// earliest finished first.
func (s *Store) InstancePurgeList(ctx context.Context, p *store.PurgeParams) ([]store.PurgeCandidate, error) {
	limit, err := store.ValidatePurge(p)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: purge list: %w", err)
	}
	s.mu.Lock()
	var found []*store.Instance
	for _, x := range s.instances {
		if p.Matches(x.in) {
			found = append(found, x.in)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(found, func(a, b *store.Instance) int {
		return cmp.Or(a.FinishedAt.Compare(*b.FinishedAt), cmp.Compare(a.ID, b.ID))
	})
	out := make([]store.PurgeCandidate, 0, min(limit, len(found)))
	for _, in := range found[:min(limit, len(found))] {
		out = append(out, store.PurgeCandidate{ID: in.ID, Workflow: in.Workflow})
	}
	return out, nil
}

// InstancePurgeCount counts the instances p matches.
func (s *Store) InstancePurgeCount(ctx context.Context, p *store.PurgeParams) (int64, error) {
	if _, err := store.ValidatePurge(p); err != nil {
		return 0, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memory: purge count: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, x := range s.instances {
		if p.Matches(x.in) {
			n++
		}
	}
	return n, nil
}

// InstanceDelete deletes those of p.IDs that are still deletable, with
// their journal, events, runs, attributes and webhook deliveries.
func (s *Store) InstanceDelete(ctx context.Context, p *store.InstanceDeleteParams) ([]string, error) {
	audit, err := store.ValidateDelete(p)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	deleted := []string{}
	gone := map[string]bool{}
	for _, id := range p.IDs {
		x, ok := s.instances[id]
		if !ok || gone[id] || !store.Deletable(x.in, p.FinishedBefore) {
			continue
		}
		delete(s.instances, id)
		gone[id] = true
		deleted = append(deleted, id)
	}
	if len(deleted) > 0 {
		s.hooks.deliveries = slices.DeleteFunc(s.hooks.deliveries, func(d *webhookDelivery) bool { return gone[d.d.InstanceID] })
	}
	if a := store.PurgeAudit(audit, deleted); a != nil {
		s.actions.add(a) // under s.mu: seen with the deletion
	}
	return deleted, nil
}
