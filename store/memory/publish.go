package memory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/ordohq/ordo/store"
)

var _ store.PublishStore = (*Store)(nil)

// publishTable holds the published events of one Store, guarded by
// Store.mu (an event and the instances it starts change together). Like
// flowTable it lives beside the Store, keyed by a weak pointer.
type publishTable struct {
	events []*store.PublishedEvent // by Seq, Deliveries unsorted
	byID   map[string]*store.PublishedEvent
}

var publishTables = struct {
	sync.Mutex
	m map[weak.Pointer[Store]]*publishTable
}{m: make(map[weak.Pointer[Store]]*publishTable)}

// published returns s's publish table, creating it on first use.
func (s *Store) published() *publishTable {
	key := weak.Make(s)
	publishTables.Lock()
	defer publishTables.Unlock()
	t, ok := publishTables.m[key]
	if !ok {
		t = &publishTable{byID: make(map[string]*store.PublishedEvent)}
		publishTables.m[key] = t
		runtime.AddCleanup(s, func(k weak.Pointer[Store]) {
			publishTables.Lock()
			delete(publishTables.m, k)
			publishTables.Unlock()
		}, key)
	}
	return t
}

// EventPublish stores the event, its deliveries and the instances they
// start, all at once; an ID already stored returns the first event.
func (s *Store) EventPublish(ctx context.Context, p *store.EventPublishParams) (*store.PublishedEvent, bool, error) {
	return store.PublishOne(ctx, s, p)
}

// EventPublishBatch publishes each of ps as EventPublish does, under one
// lock.
func (s *Store) EventPublishBatch(ctx context.Context, ps []*store.EventPublishParams) ([]store.PublishOutcome, error) {
	if err := store.ValidatePublishBatch(ps); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: event publish: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.published()
	out := make([]store.PublishOutcome, len(ps))
	for i, p := range ps {
		if ev, ok := t.byID[p.ID]; ok {
			out[i] = store.PublishOutcome{Event: clonePublished(ev, true)}
			continue
		}
		at := now(p.Now)
		ev := &store.PublishedEvent{Seq: int64(len(t.events)) + 1, ID: p.ID, Type: p.Type,
			Payload: cloneRaw(p.Payload), PublishedAt: at}
		ev.Deliveries = s.deliver(ev.ID, p.Deliveries, at, nil)
		t.events = append(t.events, ev)
		t.byID[ev.ID] = ev
		s.copyToWaits(ev)
		out[i] = store.PublishOutcome{Event: clonePublished(ev, true), Created: true}
	}
	return out, nil
}

// deliver creates the instances of ds (a conflict for an existing ID) and
// returns their deliveries, skipping subscriptions in done.
func (s *Store) deliver(eventID string, ds []*store.DeliveryParams, at time.Time, done map[string]bool) []*store.Delivery {
	out := make([]*store.Delivery, 0, len(ds))
	for _, d := range ds {
		if done[d.Subscription] {
			continue
		}
		conflict := false
		if d.Create != nil {
			_, err := s.create(d.Create, at)
			conflict = errors.Is(err, store.ErrAlreadyExists)
		}
		out = append(out, store.DeliveryRecord(eventID, d, conflict, at))
	}
	return out
}

// PublishedGet returns one event with its deliveries.
func (s *Store) PublishedGet(ctx context.Context, id string) (*store.PublishedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: published get %q: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, ok := s.published().byID[id]
	if !ok {
		return nil, fmt.Errorf("memory: published get %q: %w", id, store.ErrNotFound)
	}
	return clonePublished(ev, true), nil
}

// PublishedList returns events in publish order, filtered and paged by p.
func (s *Store) PublishedList(ctx context.Context, p *store.PublishedListParams) (*store.PublishedPage, error) {
	p, limit, after, err := store.PublishedListBounds(p)
	if err != nil {
		return nil, fmt.Errorf("memory: published list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: published list: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var events []*store.PublishedEvent
	for _, ev := range s.published().events {
		if ev.Seq <= after || (p.Type != "" && ev.Type != p.Type) ||
			(!p.Since.IsZero() && ev.PublishedAt.Before(p.Since)) ||
			(!p.Until.IsZero() && !ev.PublishedAt.Before(p.Until)) {
			continue
		}
		if events = append(events, clonePublished(ev, false)); len(events) > limit {
			break
		}
	}
	return store.PublishedPageOf(events, limit), nil
}

// PublishedDeliver adds the deliveries of p not made yet to a stored event.
func (s *Store) PublishedDeliver(ctx context.Context, p *store.DeliverParams) ([]*store.Delivery, error) {
	if err := store.ValidateDeliver(p); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: published deliver %q: %w", p.EventID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, ok := s.published().byID[p.EventID]
	if !ok {
		return nil, fmt.Errorf("memory: published deliver %q: %w", p.EventID, store.ErrNotFound)
	}
	done := make(map[string]bool, len(ev.Deliveries))
	for _, d := range ev.Deliveries {
		done[d.Subscription] = true
	}
	added := s.deliver(ev.ID, p.Deliveries, now(p.Now), done)
	ev.Deliveries = append(ev.Deliveries, added...)
	out := make([]*store.Delivery, len(added))
	for i, d := range added {
		c := *d
		out[i] = &c
	}
	return out, nil
}

// clonePublished copies ev, with its deliveries sorted by subscription when
// withDeliveries is set.
func clonePublished(ev *store.PublishedEvent, withDeliveries bool) *store.PublishedEvent {
	c := *ev
	c.Payload = cloneRaw(ev.Payload)
	c.Deliveries = nil
	if withDeliveries {
		c.Deliveries = make([]*store.Delivery, len(ev.Deliveries))
		for i, d := range ev.Deliveries {
			dc := *d
			c.Deliveries[i] = &dc
		}
		store.SortDeliveries(c.Deliveries)
	}
	return &c
}
