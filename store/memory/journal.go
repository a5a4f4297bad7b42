package memory

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/ordohq/ordo/store"
)

// JournalLoad returns the steps (ordered by Ordinal, each with its attempt
// history) and events (ordered by ID) of an instance.
func (s *Store) JournalLoad(ctx context.Context, instanceID string) (*store.Journal, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: journal load %q: %w", instanceID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[instanceID]
	if !ok {
		return nil, fmt.Errorf("memory: journal load %q: %w", instanceID, store.ErrNotFound)
	}
	j := &store.Journal{}
	for _, st := range x.steps {
		c := cloneStep(st)
		for _, a := range x.history[st.Key] {
			c.History = append(c.History, cloneAttempt(a))
		}
		j.Steps = append(j.Steps, c)
	}
	sort.Slice(j.Steps, func(a, b int) bool {
		if j.Steps[a].Ordinal != j.Steps[b].Ordinal {
			return j.Steps[a].Ordinal < j.Steps[b].Ordinal
		}
		return j.Steps[a].Key < j.Steps[b].Key
	})
	for _, ev := range x.events {
		j.Events = append(j.Events, cloneEvent(ev))
	}
	return j, nil
}

// EventSend stores an event for an instance (store.ErrNotFound if it does
// not exist). A waiting instance is made due at p.Now, unless its WakeAt is
// already earlier.
func (s *Store) EventSend(ctx context.Context, p *store.EventSendParams) (*store.Event, error) {
	if p == nil || p.Type == "" {
		return nil, errors.New("memory: event send: Type is required")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[p.InstanceID]
	if !ok {
		return nil, fmt.Errorf("memory: event send %q to %q: %w", p.Type, p.InstanceID, store.ErrNotFound)
	}
	var bytes int64
	for _, ev := range x.events {
		bytes += int64(len(ev.Payload))
	}
	if err := store.CheckEvent(p, x.in.Status, int64(len(x.events)), bytes); err != nil {
		return nil, fmt.Errorf("memory: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	if p.Step != nil {
		if err := x.checkStepEvent(p); err != nil {
			return nil, fmt.Errorf("memory: event send %q to %q: %w", p.Type, p.InstanceID, err)
		}
	}
	return cloneEvent(s.insertEvent(x, p)), nil
}

// insertEvent appends p's event to x's events and makes x due if it
// waits. The caller holds s.mu and checked the event.
func (s *Store) insertEvent(x *instance, p *store.EventSendParams) *store.Event {
	t := now(p.Now)
	s.nextEventID++
	ev := &store.Event{
		ID:         s.nextEventID,
		InstanceID: p.InstanceID,
		Type:       p.Type,
		Payload:    cloneRaw(p.Payload),
		CreatedAt:  t,
	}
	x.events = append(x.events, ev)
	if in := x.in; in.Status == store.StatusWaiting && (in.WakeAt == nil || in.WakeAt.After(t)) {
		in.WakeAt = &t
		in.UpdatedAt = t
	}
	return ev
}

// notify stores the events of an Update.Notify or ControlParams.Notify,
// skipping those whose instance does not exist or is finished. The
// caller holds s.mu.
func (s *Store) notify(events []*store.EventSendParams) {
	for _, p := range events {
		if x, ok := s.instances[p.InstanceID]; ok && !x.in.Status.Terminal() {
			s.insertEvent(x, p)
		}
	}
}

// EventList returns a page of an instance's events in send order
// (store.ErrNotFound if the instance does not exist).
func (s *Store) EventList(ctx context.Context, p *store.EventListParams) (*store.EventPage, error) {
	if p == nil {
		return nil, errors.New("memory: event list: nil params")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: event list %q: %w", p.InstanceID, err)
	}
	limit, after, err := store.EventListBounds(p)
	if err != nil {
		return nil, fmt.Errorf("memory: event list %q: %w", p.InstanceID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[p.InstanceID]
	if !ok {
		return nil, fmt.Errorf("memory: event list %q: %w", p.InstanceID, store.ErrNotFound)
	}
	var events []*store.Event
	for _, ev := range x.events {
		if ev.ID > after && len(events) <= limit {
			events = append(events, cloneEvent(ev))
		}
	}
	return store.EventPageOf(events, limit), nil
}

// checkStepEvent applies store.CheckStepEvent to the step p.Step names.
func (x *instance) checkStepEvent(p *store.EventSendParams) error {
	var state *store.StepState
	if st, ok := x.steps[p.Step.Key]; ok {
		state = &store.StepState{Kind: st.Kind, Status: st.Status, Attempts: st.Attempts}
	}
	pending := false
	for _, ev := range x.events {
		if ev.Type == p.Type && ev.ConsumedBy == "" {
			pending = true
		}
	}
	return store.CheckStepEvent(p, x.in.Status, state, pending)
}
