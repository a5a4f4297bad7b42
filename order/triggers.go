package order

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
)

// EventOrderPrefix starts the subscription names of flow triggers:
// "flow:<flow name>:<trigger index>".
const EventOrderPrefix = "flow:"

// flowTriggers are the subscriptions of one flow's triggers.
type flowTriggers struct {
	version int      // the flow version they come from
	names   []string // subscription names
}

// TriggerSubscription returns the name of the subscription of trigger i
// of the named flow, as deliveries and replays name it.
func TriggerSubscription(flowName string, i int) string {
	return EventOrderPrefix + flowName + ":" + strconv.Itoa(i)
}

// EventOrderID returns the ID of the order an event starts when its
// payload has no "id": the same for every flow, so an event that two
// order flows' triggers match starts its order once (the second delivery
// records the conflict).
func EventOrderID(eventID string) string {
	return ordo.SubscriptionInstanceID("order", eventID)
}

// syncTriggers subscribes the triggers of version v of the named flow (its
// latest), replacing those of an earlier version. A flow's triggers are
// subscribed once per version.
func (s *Service) syncTriggers(name string, version int, def *flow.Definition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.triggers == nil {
		s.triggers = map[string]flowTriggers{}
	}
	old, ok := s.triggers[name]
	if ok && old.version >= version {
		return nil
	}
	for _, n := range old.names {
		s.eng.Unsubscribe(n)
	}
	cur := flowTriggers{version: version}
	s.triggers[name] = cur
	for i, t := range def.Triggers {
		sub := ordo.Subscription{Name: TriggerSubscription(name, i), Event: t.Event, If: t.If,
			Reservation: s.reservation, Start: s.startFromEvent(name)}
		if err := s.eng.Subscribe(sub); err != nil {
			return fmt.Errorf("flow %q version %d: trigger %d: %w", name, version, i, err)
		}
		cur.names = append(cur.names, sub.Name)
		s.triggers[name] = cur
	}
	return nil
}

// startFromEvent returns the Start of a trigger of the named flow: the
// event's payload is the order body of POST /v1/orders (its "flow" is
// this flow's, whatever it says); the order takes the payload's "id", or
// one derived from the event. An invalid order wraps
// ordo.ErrInvalidArgument, which the delivery records.
func (s *Service) startFromEvent(name string) func(context.Context, *ordo.PublishedEvent) (*ordo.SubscriptionStart, error) {
	return func(ctx context.Context, ev *ordo.PublishedEvent) (*ordo.SubscriptionStart, error) {
		req, err := DecodeCreateRequest(ev.Payload)
		if err != nil {
			return nil, fmt.Errorf("the payload is no order body: %w", err)
		}
		req.Flow = name
		if req.ID == "" {
			req.ID = EventOrderID(ev.ID)
		}
		prep, err := s.prepareOrder(ctx, req)
		if err != nil {
			return nil, err
		}
		return &ordo.SubscriptionStart{Workflow: WorkflowName(name), ID: req.ID, Params: prep.raw,
			Attributes: prep.attrs}, nil
	}
}

// syncStoredTriggers subscribes the triggers of the latest version of the
// named flow, reading it from the store when needed.
func (s *Service) syncStoredTriggers(ctx context.Context, name string, version int) error {
	s.mu.Lock()
	cur, ok := s.triggers[name]
	s.mu.Unlock()
	if ok && cur.version >= version {
		return nil
	}
	def, err := s.definition(ctx, name, version)
	if err != nil {
		return err
	}
	s.applyRetention(name, def)
	return s.syncTriggers(name, version, def)
}
