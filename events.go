package ordo

import (
	"context"
	"fmt"
	"strings"

	"github.com/ordohq/ordo/store"
)

// Event is an event sent to an instance.
type Event = store.Event

// EventListOptions page Engine.Events. nil lists the first 50 events.
type EventListOptions struct {
	// Limit is the page size, 1..1000. Default 50.
	Limit int
	// Cursor continues a previous page (EventPage.NextCursor).
	Cursor string
}

// EventPage is one page of an instance's events, oldest first.
type EventPage struct {
	Events     []*Event `json:"events"`
	NextCursor string   `json:"nextCursor,omitempty"`
}

// reservedEventPrefix starts the event types the engine sends itself (a
// child's end, store.ChildResultType); SendEvent refuses them.
const reservedEventPrefix = "ordo."

// SendEvent delivers an event to an instance. An instance waiting for this
// event type wakes at once; an event sent before the wait starts is kept
// until a WaitForEvent of that type receives it.
//
// eventType follows the id rules (see ValidateID). The payload (JSON, or a
// value marshalled to JSON) is at most Config.MaxPayloadBytes
// (ErrPayloadTooLarge). The store refuses the event, atomically with its
// insert:
//   - when the instance is complete, errored or terminated: an *Error
//     matching ErrInvalidTransition ("instance \"X\" is complete: a
//     finished instance accepts no events");
//   - when the instance already holds Config.MaxEventsPerInstance events
//     (default 1000), consumed or not, or when this payload would bring
//     its events' payloads past Config.MaxEventBytesPerInstance (default
//     16 MiB): an *Error matching ErrLimitExceeded that names the limit.
func (e *Engine) SendEvent(ctx context.Context, id, eventType string, payload any) error {
	if err := checkLookupID(id); err != nil {
		return err
	}
	if err := ValidateID("event type", eventType); err != nil {
		return err
	}
	if strings.HasPrefix(eventType, reservedEventPrefix) {
		return &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("event type %q: types starting with %q are the engine's own", truncateID(eventType), reservedEventPrefix)}
	}
	raw, err := eventPayload("event payload", payload)
	if err != nil {
		return err
	}
	if err := e.checkPayload("event payload", raw); err != nil {
		return err
	}
	if _, err := e.store.EventSend(ctx, &store.EventSendParams{
		InstanceID: id, Type: eventType, Payload: raw, Now: e.clock.Now(),
		MaxEvents: max(e.cfg.MaxEventsPerInstance, 0), MaxBytes: max(e.cfg.MaxEventBytesPerInstance, 0),
	}); err != nil {
		return storeError(fmt.Sprintf("send event %q to instance %q", eventType, id), err, instanceMissing(id))
	}
	e.obs.ObserveEventSent(EventSentObservation{InstanceID: id, Type: eventType})
	e.worker.notify()
	return nil
}

// Events returns a page of the events sent to an instance, consumed or
// not, oldest first. A cursor that no page returned is an *Error matching
// ErrInvalidArgument; an unknown instance, ErrNotFound.
func (e *Engine) Events(ctx context.Context, id string, opts *EventListOptions) (*EventPage, error) {
	if opts == nil {
		opts = &EventListOptions{}
	}
	if err := checkLookupID(id); err != nil {
		return nil, err
	}
	if err := checkListLimit(opts.Limit); err != nil {
		return nil, err
	}
	page, err := e.store.EventList(ctx, &store.EventListParams{InstanceID: id, Limit: opts.Limit, Cursor: opts.Cursor})
	if err != nil {
		return nil, storeError(fmt.Sprintf("list events of instance %q", id), err, instanceMissing(id))
	}
	return &EventPage{Events: page.Events, NextCursor: page.NextCursor}, nil
}
