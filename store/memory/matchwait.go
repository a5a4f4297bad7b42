package memory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.MatchStore = (*Store)(nil)

// WaitMatchBegin records a matched wait and copies the published events of
// the look-back window that satisfy it.
func (s *Store) WaitMatchBegin(ctx context.Context, p *store.WaitMatchParams) ([]*store.Event, error) {
	if err := store.ValidateWaitMatch(p); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: wait match: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[p.InstanceID]
	if !ok || x.in.LeaseToken == "" || x.in.LeaseToken != p.LeaseToken {
		return nil, fmt.Errorf("memory: wait match %q of %q: %w", p.StepKey, p.InstanceID, store.ErrLeaseLost)
	}
	if x.waits == nil {
		x.waits = make(map[string]store.EventMatch)
	}
	x.waits[p.StepKey] = p.Match
	at := now(p.Now)
	out := []*store.Event{}
	for _, ev := range s.published().events {
		if len(out) == store.MaxMatchCopies {
			break
		}
		if ev.Type != p.Match.Type || ev.PublishedAt.Before(p.Since) || x.copied[ev.ID] || !p.Match.Matches(ev.Payload) {
			continue
		}
		out = append(out, cloneEvent(s.copyEvent(x, ev, at)))
	}
	return out, nil
}

// copyToWaits copies ev into the events of every instance with a live
// wait it satisfies (s.mu held).
func (s *Store) copyToWaits(ev *store.PublishedEvent) {
	ids := make([]string, 0)
	for id, x := range s.instances {
		if len(x.waits) > 0 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids) // event IDs in a stable order
	for _, id := range ids {
		x := s.instances[id]
		if x.copied[ev.ID] {
			continue
		}
		for key, m := range x.waits {
			var stepStatus store.StepStatus
			if st, ok := x.steps[key]; ok {
				stepStatus = st.Status
			}
			if m.Type == ev.Type && store.WaitLive(x.in.Status, stepStatus) && m.Matches(ev.Payload) {
				s.copyEvent(x, ev, ev.PublishedAt)
				break
			}
		}
	}
}

// copyEvent appends a copy of ev to x's events as EventSend does: a waiting
// instance is due at once.
func (s *Store) copyEvent(x *instance, ev *store.PublishedEvent, at time.Time) *store.Event {
	if x.copied == nil {
		x.copied = make(map[string]bool)
	}
	x.copied[ev.ID] = true
	s.nextEventID++
	c := &store.Event{ID: s.nextEventID, InstanceID: x.in.ID, Type: ev.Type, Payload: cloneRaw(ev.Payload), CreatedAt: at}
	x.events = append(x.events, c)
	if in := x.in; in.Status == store.StatusWaiting && (in.WakeAt == nil || in.WakeAt.After(at)) {
		in.WakeAt = &at
		in.UpdatedAt = at
	}
	return c
}
