package ordo

import (
	"context"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// MaxReplayEvents bounds the events one Replay reads.
const MaxReplayEvents = 1000

// ReplayOptions choose the stored events Engine.Replay delivers again.
type ReplayOptions struct {
	// Subscription names the subscription to deliver to. Required.
	Subscription string
	// Type, if set, must be the subscription's event type (the default).
	Type string
	// From and To bound the publish times, From included, To excluded;
	// zero for no bound.
	From, To time.Time
	// Limit bounds the events read: 1..MaxReplayEvents, 0 for the most.
	// ReplayResult.NextCursor continues past them.
	Limit int
	// Cursor continues a replay from a previous ReplayResult.NextCursor.
	Cursor string
}

// ReplayResult says what a Replay did.
type ReplayResult struct {
	// Events is how many stored events were read.
	Events int `json:"events"`
	// Deliveries are the deliveries made now; events already delivered to
	// the subscription are skipped, so a replay never repeats one.
	Deliveries []*Delivery `json:"deliveries"`
	// Skipped counts the events already delivered to the subscription.
	Skipped int `json:"skipped"`
	// NextCursor, when set, continues the replay past Limit events.
	NextCursor string `json:"nextCursor,omitempty"`
}

// Replay delivers stored events of one type published in [From, To) to
// one subscription, as if they were published now (for a subscription
// added later, or after a bug fix). Each event is delivered in one
// transaction with the instance it starts; an event already delivered to
// the subscription is skipped.
func (e *Engine) Replay(ctx context.Context, opts ReplayOptions) (*ReplayResult, error) {
	s, ok := e.subs.named(opts.Subscription)
	if !ok {
		return nil, &Error{Sentinel: ErrNotFound, Message: fmt.Sprintf("subscription %q is not registered", opts.Subscription)}
	}
	if opts.Type != "" && opts.Type != s.Event {
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("subscription %q receives %q events, not %q", s.Name, s.Event, opts.Type)}
	}
	if !opts.From.IsZero() && !opts.To.IsZero() && !opts.From.Before(opts.To) {
		return nil, &Error{Sentinel: ErrInvalidArgument, Message: "replay: from must be before to"}
	}
	limit := opts.Limit
	if limit == 0 {
		limit = MaxReplayEvents
	}
	if limit < 0 || limit > MaxReplayEvents {
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("replay: limit %d is out of range 1..%d", opts.Limit, MaxReplayEvents)}
	}
	ps, err := e.publishStore()
	if err != nil {
		return nil, err
	}
	res := &ReplayResult{Deliveries: []*Delivery{}}
	// What was delivered is durable even when a later page fails.
	defer func() {
		if len(res.Deliveries) > 0 {
			e.obs.ObserveReplay(ReplayObservation{Subscription: s.Name, Deliveries: res.Deliveries})
		}
	}()
	cursor := opts.Cursor
	for res.Events < limit {
		page, err := ps.PublishedList(ctx, &store.PublishedListParams{Type: s.Event, Since: opts.From, Until: opts.To,
			Limit: min(limit-res.Events, 1000), Cursor: cursor})
		if err != nil {
			return res, storeError("replay: list events", err, "")
		}
		for _, ev := range page.Events {
			res.Events++
			now := e.clock.Now()
			d := e.delivery(ctx, s, ev)
			if d.Create != nil {
				d.Create.Now = now
			}
			added, err := ps.PublishedDeliver(ctx, &store.DeliverParams{EventID: ev.ID, Now: now,
				Deliveries: []*store.DeliveryParams{d}})
			if err != nil {
				return res, storeError(fmt.Sprintf("replay event %q", ev.ID), err, "")
			}
			if len(added) == 0 {
				res.Skipped++
			}
			res.Deliveries = append(res.Deliveries, added...)
		}
		e.startedSome(res.Deliveries)
		cursor = page.NextCursor
		if cursor == "" {
			break
		}
	}
	if res.Events == limit {
		res.NextCursor = cursor
	}
	return res, nil
}
