package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// PublishStore is an optional capability of a backend: it keeps published
// events (commerce events such as "cart.created", not addressed to one
// instance) and their deliveries to the subscriptions they matched.
// Discover it with a type assertion:
//
//	ps, ok := st.(store.PublishStore)
//
// An event, its deliveries and the instances they start commit in one
// transaction: a crash leaves either all of them or none.
type PublishStore interface {
	// EventPublish stores the event p describes, its deliveries and the
	// instances they start, in one transaction, and returns the stored
	// event with its deliveries and created true. An event whose ID is
	// already stored changes nothing: the first event is returned, with its
	// deliveries, and created false. A delivery whose instance ID exists
	// already is recorded as DeliveryConflict (the existing instance is
	// left alone).
	EventPublish(ctx context.Context, p *EventPublishParams) (ev *PublishedEvent, created bool, err error)
	// EventPublishBatch publishes each of ps as EventPublish does, all in
	// one transaction (one durable commit), and returns their outcomes in
	// order. An ID published earlier in the batch makes a later one a
	// duplicate of it. Any error fails the whole batch: nothing is stored.
	EventPublishBatch(ctx context.Context, ps []*EventPublishParams) ([]PublishOutcome, error)
	// PublishedGet returns one event with its deliveries, or ErrNotFound.
	PublishedGet(ctx context.Context, id string) (*PublishedEvent, error)
	// PublishedList returns events oldest first (in publish order),
	// filtered and paged by p, without their deliveries.
	PublishedList(ctx context.Context, p *PublishedListParams) (*PublishedPage, error)
	// PublishedDeliver adds deliveries to a stored event (a replay), in one
	// transaction with the instances they start. A delivery to a
	// subscription the event was already delivered to is skipped, so a
	// replay never repeats one. It returns the deliveries it added
	// (ErrNotFound if the event does not exist).
	PublishedDeliver(ctx context.Context, p *DeliverParams) ([]*Delivery, error)
}

// Bounds every backend applies (ValidatePublish).
const (
	// MaxDeliveriesPerEvent bounds the deliveries of one publish or replay.
	MaxDeliveriesPerEvent = 100
	// MaxEventTypeLen bounds an event type, in bytes.
	MaxEventTypeLen = 200
	// MaxDeliveryErrorLen bounds the error text kept on a delivery; a longer
	// one is cut.
	MaxDeliveryErrorLen = 2000
)

// DeliveryOutcome says what one delivery did.
type DeliveryOutcome string

// Delivery outcomes.
const (
	// DeliveryStarted: the delivery started its instance.
	DeliveryStarted DeliveryOutcome = "started"
	// DeliveryFiltered: the subscription's filter was false.
	DeliveryFiltered DeliveryOutcome = "filtered"
	// DeliveryInvalid: the event could not become the workflow's params
	// (an invalid order body, say); Error says why.
	DeliveryInvalid DeliveryOutcome = "invalid_payload"
	// DeliveryConflict: the instance the delivery would start exists
	// already (another subscription or request started it).
	DeliveryConflict DeliveryOutcome = "conflict"
	// DeliveryError: the filter or the params function failed; Error says
	// why.
	DeliveryError DeliveryOutcome = "error"
)

// MaxPublishBatch bounds the events of one EventPublishBatch.
const MaxPublishBatch = 256

// PublishOutcome is the result of one event of EventPublishBatch.
type PublishOutcome struct {
	Event *PublishedEvent
	// Created is false for an ID stored already: Event is the first one.
	Created bool
}

// ValidatePublishBatch checks the arguments of EventPublishBatch.
func ValidatePublishBatch(ps []*EventPublishParams) error {
	if len(ps) > MaxPublishBatch {
		return &Error{Err: ErrInvalidArgument,
			Message: fmt.Sprintf("event publish: %d events in one batch, more than %d", len(ps), MaxPublishBatch)}
	}
	for _, p := range ps {
		if err := ValidatePublish(p); err != nil {
			return err
		}
	}
	return nil
}

// EventPublishParams are the arguments of PublishStore.EventPublish.
type EventPublishParams struct {
	// ID deduplicates: an ID already stored publishes nothing. Required.
	ID string
	// Type is the event's type ("order.placed"). Required.
	Type    string
	Payload json.RawMessage
	// Now is the publish time (the wall clock when zero); it is also the
	// creation time of the instances started.
	Now        time.Time
	Deliveries []*DeliveryParams
}

// DeliverParams are the arguments of PublishStore.PublishedDeliver.
type DeliverParams struct {
	EventID    string
	Now        time.Time
	Deliveries []*DeliveryParams
}

// DeliveryParams describe one delivery of an event to a subscription.
type DeliveryParams struct {
	// Subscription names the subscription. Required, unique per event.
	Subscription string
	// Create is the instance the delivery starts; nil when it starts none
	// (then Outcome says why). Its Now defaults to the publish time.
	Create *InstanceCreateParams
	// Outcome is DeliveryStarted when Create is set (the store may turn it
	// into DeliveryConflict), another outcome otherwise.
	Outcome DeliveryOutcome
	// Error is the reason of DeliveryInvalid and DeliveryError.
	Error string
}

// PublishedEvent is one stored event.
type PublishedEvent struct {
	// Seq orders events in publish order (it is not shown).
	Seq         int64           `json:"-"`
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Payload     json.RawMessage `json:"payload,omitempty"`
	PublishedAt time.Time       `json:"publishedAt"`
	// Deliveries are set by EventPublish and PublishedGet, sorted by
	// subscription.
	Deliveries []*Delivery `json:"deliveries,omitempty"`
}

// Delivery is one delivery of an event to a subscription.
type Delivery struct {
	EventID      string `json:"-"`
	Subscription string `json:"subscription"`
	// InstanceID is the instance started (or, for a conflict, the one that
	// existed already).
	InstanceID  string          `json:"instanceId,omitempty"`
	Outcome     DeliveryOutcome `json:"outcome"`
	Error       string          `json:"error,omitempty"`
	DeliveredAt time.Time       `json:"deliveredAt"`
}

// PublishedListParams filter and page PublishStore.PublishedList.
type PublishedListParams struct {
	Type string // "" for all
	// Since, if set, keeps events published at or after it.
	Since time.Time
	// Until, if set, keeps events published before it.
	Until  time.Time
	Limit  int    // see ListLimit
	Cursor string // from PublishedPage.NextCursor (EncodeEventCursor of Seq)
}

// PublishedPage is one page of PublishStore.PublishedList.
type PublishedPage struct {
	Events     []*PublishedEvent `json:"events"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// ValidatePublish checks EventPublishParams before a backend stores them.
func ValidatePublish(p *EventPublishParams) error {
	if p == nil || p.ID == "" || p.Type == "" {
		return &Error{Err: ErrInvalidArgument, Message: "event publish: id and type are required"}
	}
	if len(p.Type) > MaxEventTypeLen {
		return &Error{Err: ErrInvalidArgument,
			Message: fmt.Sprintf("event publish: type is %d bytes, more than %d", len(p.Type), MaxEventTypeLen)}
	}
	if err := validateDeliveries(p.Deliveries); err != nil {
		return fmt.Errorf("event publish %q: %w", p.ID, err)
	}
	return nil
}

// ValidateDeliver checks DeliverParams before a backend stores them.
func ValidateDeliver(p *DeliverParams) error {
	if p == nil || p.EventID == "" {
		return &Error{Err: ErrInvalidArgument, Message: "event deliver: event id is required"}
	}
	if err := validateDeliveries(p.Deliveries); err != nil {
		return fmt.Errorf("event deliver %q: %w", p.EventID, err)
	}
	return nil
}

func validateDeliveries(ds []*DeliveryParams) error {
	if len(ds) > MaxDeliveriesPerEvent {
		return &Error{Err: ErrInvalidArgument,
			Message: fmt.Sprintf("%d deliveries, more than %d", len(ds), MaxDeliveriesPerEvent)}
	}
	seen := make(map[string]bool, len(ds))
	for i, d := range ds {
		if d == nil || d.Subscription == "" {
			return &Error{Err: ErrInvalidArgument, Message: fmt.Sprintf("delivery %d: subscription is required", i)}
		}
		if seen[d.Subscription] {
			return &Error{Err: ErrInvalidArgument,
				Message: fmt.Sprintf("delivery %d: subscription %q appears twice", i, d.Subscription)}
		}
		seen[d.Subscription] = true
		if d.Create != nil {
			if err := ValidateCreate(d.Create); err != nil {
				return fmt.Errorf("delivery %q: %w", d.Subscription, err)
			}
			continue
		}
		switch d.Outcome {
		case DeliveryFiltered, DeliveryInvalid, DeliveryError, DeliveryConflict:
		default:
			return &Error{Err: ErrInvalidArgument,
				Message: fmt.Sprintf("delivery %q: outcome %q without an instance to create", d.Subscription, d.Outcome)}
		}
	}
	return nil
}

// DeliveryRecord returns the Delivery that d stores for event eventID at
// time at; conflict reports that d.Create's instance exists already. Every
// backend records deliveries through it.
func DeliveryRecord(eventID string, d *DeliveryParams, conflict bool, at time.Time) *Delivery {
	out := &Delivery{EventID: eventID, Subscription: d.Subscription, Outcome: d.Outcome,
		Error: d.Error, DeliveredAt: at}
	if d.Create != nil {
		out.InstanceID = d.Create.ID
		out.Outcome = DeliveryStarted
		if conflict {
			out.Outcome = DeliveryConflict
			out.Error = "instance " + d.Create.ID + " exists already"
		}
	}
	if len(out.Error) > MaxDeliveryErrorLen {
		out.Error = strings.ToValidUTF8(out.Error[:MaxDeliveryErrorLen], "")
	}
	return out
}

// SortDeliveries sorts deliveries by subscription, the order every backend
// returns them in.
func SortDeliveries(ds []*Delivery) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].Subscription < ds[j].Subscription })
}

// PublishedListBounds checks p (nil lists everything) for
// PublishedList and returns it, its page size and the Seq its cursor
// continues after (0 for the first page).
func PublishedListBounds(p *PublishedListParams) (*PublishedListParams, int, int64, error) {
	if p == nil {
		p = &PublishedListParams{}
	}
	limit, err := ListLimit(p.Limit)
	if err != nil {
		return nil, 0, 0, err
	}
	var after int64
	if p.Cursor != "" {
		if after, err = DecodeEventCursor(p.Cursor); err != nil {
			return nil, 0, 0, err
		}
	}
	return p, limit, after, nil
}

// PublishedPageOf returns the page of events (read with one more than
// limit, in Seq order): at most limit of them, and a cursor when there are
// more.
func PublishedPageOf(events []*PublishedEvent, limit int) *PublishedPage {
	page := &PublishedPage{Events: events}
	if page.Events == nil {
		page.Events = []*PublishedEvent{}
	}
	if len(page.Events) > limit {
		page.Events = page.Events[:limit]
		page.NextCursor = EncodeEventCursor(page.Events[limit-1].Seq)
	}
	return page
}

// PublishOne publishes p through ps.EventPublishBatch: the EventPublish of
// every backend.
func PublishOne(ctx context.Context, ps PublishStore, p *EventPublishParams) (*PublishedEvent, bool, error) {
	outs, err := ps.EventPublishBatch(ctx, []*EventPublishParams{p})
	if err != nil {
		return nil, false, err
	}
	return outs[0].Event, outs[0].Created, nil
}
