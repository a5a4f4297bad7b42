package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordohq/ordo/store"
)

// PublishedEvent is a stored published event with its deliveries.
type PublishedEvent = store.PublishedEvent

// Delivery is one delivery of a published event to a subscription: the
// instance it started, or why it started none (Outcome, Error).
type Delivery = store.Delivery

// PublishedPage is one page of Engine.PublishedEvents.
type PublishedPage = store.PublishedPage

// PublishEvent is an event to publish: a fact about the shop ("cart.created",
// "order.placed") addressed to no instance in particular; the subscriptions
// to its type decide what it starts.
type PublishEvent struct {
	// ID deduplicates: publishing an ID already stored starts nothing and
	// returns the first event. Empty for a generated one (a UUIDv7). An id
	// (ValidateID).
	ID string
	// Type is the event's type, an id ("order.placed"). Required.
	Type string
	// Payload is the event's data: a json.RawMessage is stored as it is,
	// anything else is encoded as JSON. Nil for {}. At most the engine's
	// MaxPayloadBytes.
	Payload any
}

// PublishedListOptions filter and page Engine.PublishedEvents.
type PublishedListOptions struct {
	Type   string    // "" for all types
	Since  time.Time // zero for all
	Limit  int       // 1..1000, 0 for 50
	Cursor string    // NextCursor of the previous page
}

// publishStore returns the store's PublishStore, or an error saying the
// store keeps no published events.
func (e *Engine) publishStore() (store.PublishStore, error) {
	ps, ok := e.store.(store.PublishStore)
	if !ok {
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("the store (%T) does not keep published events", e.store)}
	}
	return ps, nil
}

// Publish stores ev durably and, in the same transaction, starts an
// instance for each subscription to its type whose filter it passes (and
// records, for every subscription to its type, what the delivery did).
// Events published at the same time share one transaction (a group
// commit), so a burst costs a few durable commits, not one per event.
// created is false when ev.ID was stored already: then nothing is started
// and the first event is returned.
func (e *Engine) Publish(ctx context.Context, ev PublishEvent) (pub *PublishedEvent, created bool, err error) {
	p, err := e.publishParams(ctx, ev)
	if err != nil {
		return nil, false, err
	}
	ps, err := e.publishStore()
	if err != nil {
		return nil, false, err
	}
	if err := store.ValidatePublish(p); err != nil {
		return nil, false, storeError(fmt.Sprintf("publish event %q", p.ID), err, "")
	}
	out, err := e.pub.publish(ctx, ps, p)
	if err != nil {
		return nil, false, storeError(fmt.Sprintf("publish event %q", p.ID), err, "")
	}
	pub, created = out.Event, out.Created
	if created {
		e.obs.ObservePublish(PublishObservation{Event: pub})
		e.startedSome(pub.Deliveries)
		if _, ok := ps.(store.MatchStore); ok {
			e.worker.notify() // a matched wait the event reached may be due
		}
	}
	return pub, created, nil
}

// PublishParams checks ev and evaluates the subscriptions to its type: it
// returns what the store's EventPublish (or the PostgreSQL store's
// PublishTx) needs to publish it. Engine.Publish calls it; call it to
// publish in a transaction of your own.
func (e *Engine) PublishParams(ctx context.Context, ev PublishEvent) (*store.EventPublishParams, error) {
	return e.publishParams(ctx, ev)
}

func (e *Engine) publishParams(ctx context.Context, ev PublishEvent) (*store.EventPublishParams, error) {
	if err := ValidateID("event type", ev.Type); err != nil {
		return nil, err
	}
	if ev.ID == "" {
		ev.ID = uuid.Must(uuid.NewV7()).String()
	} else if err := ValidateID("event id", ev.ID); err != nil {
		return nil, err
	}
	payload, err := encodePayload(ev.Payload)
	if err != nil {
		return nil, err
	}
	if err := e.checkPayload("event payload", payload); err != nil {
		return nil, err
	}
	now := e.clock.Now()
	p := &store.EventPublishParams{ID: ev.ID, Type: ev.Type, Payload: payload, Now: now}
	pub := &PublishedEvent{ID: ev.ID, Type: ev.Type, Payload: payload, PublishedAt: now}
	for _, s := range e.subs.matching(ev.Type) {
		p.Deliveries = append(p.Deliveries, e.delivery(ctx, s, pub))
	}
	return p, nil
}

// encodePayload returns the JSON of a payload (nil for {}).
func encodePayload(v any) (json.RawMessage, error) {
	var b []byte
	switch x := v.(type) {
	case nil:
		return json.RawMessage("{}"), nil
	case json.RawMessage:
		b = x
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("%w: event payload: %w", ErrInvalidArgument, err)
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%w: event payload is not valid JSON", ErrInvalidArgument)
	}
	return append(json.RawMessage(nil), b...), nil
}

// delivery evaluates one subscription for ev.
func (e *Engine) delivery(ctx context.Context, s *Subscription, ev *PublishedEvent) *store.DeliveryParams {
	d := &store.DeliveryParams{Subscription: s.Name}
	fail := func(outcome store.DeliveryOutcome, err error) *store.DeliveryParams {
		if outcome == "" {
			outcome = store.DeliveryError
			if errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrPayloadTooLarge) {
				outcome = store.DeliveryInvalid
			}
		}
		d.Outcome, d.Error = outcome, Message(err) // the caller's words, without sentinels
		return d
	}
	if s.filter != nil {
		ok, err := s.filter.Eval(ctx, ev.Type, ev.ID, ev.Payload)
		if err != nil {
			return fail(store.DeliveryError, err)
		}
		if !ok {
			d.Outcome = store.DeliveryFiltered
			return d
		}
	}
	start, err := s.Start(ctx, ev)
	if err == nil && start == nil {
		err = fmt.Errorf("%w: subscription %q started nothing", ErrInvalidArgument, s.Name)
	}
	if err != nil {
		return fail("", err)
	}
	cp, err := e.startParams(s, start, ev)
	if err != nil {
		return fail("", err)
	}
	cp.Trace = TraceContextFrom(ctx)
	d.Create, d.Outcome = cp, store.DeliveryStarted
	return d
}

// startParams checks what a subscription starts as Create would.
func (e *Engine) startParams(s *Subscription, start *SubscriptionStart, ev *PublishedEvent) (*store.InstanceCreateParams, error) {
	id := start.ID
	if id == "" {
		id = SubscriptionInstanceID(s.Name, ev.ID)
	}
	cp, err := e.CreateParams(start.Workflow, start.Params, &CreateOptions{ID: id, Reservation: s.Reservation, Attributes: start.Attributes})
	if err != nil {
		return nil, err
	}
	cp.Now = ev.PublishedAt
	return cp, nil
}

// startedSome wakes the workers when deliveries started instances.
func (e *Engine) startedSome(ds []*Delivery) {
	for _, d := range ds {
		if d.Outcome == store.DeliveryStarted {
			e.worker.notify()
			return
		}
	}
}

// PublishedEvent returns a published event with its deliveries.
func (e *Engine) PublishedEvent(ctx context.Context, id string) (*PublishedEvent, error) {
	if err := ValidateID("event id", id); err != nil {
		return nil, err
	}
	ps, err := e.publishStore()
	if err != nil {
		return nil, err
	}
	ev, err := ps.PublishedGet(ctx, id)
	if err != nil {
		return nil, storeError(fmt.Sprintf("get event %q", id), err, fmt.Sprintf("event %q does not exist", id))
	}
	return ev, nil
}

// PublishedEvents lists published events oldest first (publish order),
// without their deliveries.
func (e *Engine) PublishedEvents(ctx context.Context, opts *PublishedListOptions) (*PublishedPage, error) {
	if opts == nil {
		opts = &PublishedListOptions{}
	}
	ps, err := e.publishStore()
	if err != nil {
		return nil, err
	}
	page, err := ps.PublishedList(ctx, &store.PublishedListParams{Type: opts.Type, Since: opts.Since,
		Limit: opts.Limit, Cursor: opts.Cursor})
	if err != nil {
		return nil, storeError("list events", err, "")
	}
	return page, nil
}
