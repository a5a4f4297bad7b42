package ordo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/ordohq/ordo/internal/eventfilter"
	"github.com/ordohq/ordo/store"
)

// Bounds of subscriptions.
const (
	// MaxSubscriptionsPerType bounds the subscriptions to one event type,
	// and so the deliveries (and instances) one published event makes.
	MaxSubscriptionsPerType = store.MaxDeliveriesPerEvent
	// MaxSubscriptions bounds the subscriptions of an engine.
	MaxSubscriptions = 10_000
)

// Subscription starts work when an event of type Event is published
// (Engine.Publish): for each matching event, Start says which instance to
// create. Workflows declare theirs with Workflow.On; services that start
// instances of their own (package order) call Engine.Subscribe.
type Subscription struct {
	// Name identifies the subscription in deliveries and replays; it is
	// part of the IDs of the instances it starts. An id (ValidateID).
	Name string
	// Event is the event type it receives ("order.placed").
	Event string
	// If, when set, is a CEL expression over type, id and payload that the
	// event must satisfy ("payload.total > 100"). It is compiled and
	// type-checked by Subscribe.
	If string
	// Start returns the instance to create for the event. An error wrapping
	// ErrInvalidArgument is recorded on the delivery as an invalid payload,
	// any other as an error; nothing is started either way.
	Start func(ctx context.Context, ev *PublishedEvent) (*SubscriptionStart, error)
	// Reservation lets Start return instances of a reserved workflow
	// (Engine.ReservePrefix).
	Reservation *Reservation

	filter *eventfilter.Filter
}

// SubscriptionStart is the instance a subscription starts.
type SubscriptionStart struct {
	Workflow string
	// ID is the instance's ID; empty for the one derived from the
	// subscription and the event (SubscriptionInstanceID).
	ID     string
	Params json.RawMessage
	// Attributes are the instance's search attributes (as
	// CreateOptions.Attributes).
	Attributes []Attribute
}

// SubscriptionInfo describes a registered subscription.
type SubscriptionInfo struct {
	Name  string `json:"name"`
	Event string `json:"event"`
	If    string `json:"if,omitempty"`
}

// SubscriptionInstanceID returns the ID of the instance that subscription
// starts for event eventID: "<subscription>:<event id>", or, when that is
// longer than MaxIDLength, the subscription's name cut short followed by a
// hash of both. The same pair always gives the same ID, so one event never
// starts a subscription's instance twice.
func SubscriptionInstanceID(subscription, eventID string) string {
	id := subscription + ":" + eventID
	if len(id) <= MaxIDLength {
		return id
	}
	sum := sha256.Sum256([]byte(subscription + "\x00" + eventID))
	h := hex.EncodeToString(sum[:16])
	keep := min(len(subscription), MaxIDLength-len(h)-1)
	return subscription[:keep] + ":" + h
}

// subscriptions is an engine's registry.
type subscriptions struct {
	mu     sync.RWMutex
	byName map[string]*Subscription
	byType map[string][]*Subscription // sorted by name
}

// Subscribe registers s. Its filter is compiled and type-checked now: an
// expression that does not compile, a name already subscribed, or more
// than MaxSubscriptionsPerType subscriptions to one event type are errors
// matching ErrInvalidArgument or ErrAlreadyExists.
func (e *Engine) Subscribe(s Subscription) error {
	if err := prepareSubscription(&s); err != nil {
		return err
	}
	return e.subs.add(&s)
}

// prepareSubscription checks s and compiles its filter.
func prepareSubscription(s *Subscription) error {
	if err := ValidateID("subscription name", s.Name); err != nil {
		return err
	}
	if err := ValidateID(fmt.Sprintf("event type of subscription %q", s.Name), s.Event); err != nil {
		return err
	}
	if s.Start == nil {
		return fmt.Errorf("%w: subscription %q has no Start function", ErrInvalidArgument, s.Name)
	}
	if s.If != "" {
		f, err := eventfilter.Compile(s.If)
		if err != nil {
			return fmt.Errorf("%w: subscription %q: if: %s", ErrInvalidArgument, s.Name, err.Error())
		}
		s.filter = f
	}
	return nil
}

// add registers the prepared subscription s.
func (r *subscriptions) add(s *Subscription) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byName[s.Name]; ok {
		return fmt.Errorf("%w: subscription %q is already registered", ErrAlreadyExists, s.Name)
	}
	if len(r.byName) >= MaxSubscriptions {
		return fmt.Errorf("%w: an engine holds at most %d subscriptions", ErrLimitExceeded, MaxSubscriptions)
	}
	if len(r.byType[s.Event]) >= MaxSubscriptionsPerType {
		return fmt.Errorf("%w: event type %q has %d subscriptions, the most allowed", ErrLimitExceeded, s.Event, MaxSubscriptionsPerType)
	}
	if r.byName == nil {
		r.byName, r.byType = map[string]*Subscription{}, map[string][]*Subscription{}
	}
	r.byName[s.Name] = s
	r.byType[s.Event] = append(r.byType[s.Event], s)
	list := r.byType[s.Event]
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return nil
}

// Unsubscribe removes the named subscription; it reports whether one was
// registered. Events published later are not delivered to it.
func (e *Engine) Unsubscribe(name string) bool {
	r := &e.subs
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.byName[name]
	if !ok {
		return false
	}
	delete(r.byName, name)
	list := r.byType[s.Event]
	for i, x := range list {
		if x == s {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(r.byType, s.Event)
	} else {
		r.byType[s.Event] = list
	}
	return true
}

// Subscriptions lists the registered subscriptions by name.
func (e *Engine) Subscriptions() []SubscriptionInfo {
	r := &e.subs
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]SubscriptionInfo, 0, len(r.byName))
	for _, s := range r.byName {
		out = append(out, SubscriptionInfo{Name: s.Name, Event: s.Event, If: s.If})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// matching returns the subscriptions to eventType, by name.
func (r *subscriptions) matching(eventType string) []*Subscription {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]*Subscription(nil), r.byType[eventType]...)
}

// named returns the subscription called name.
func (r *subscriptions) named(name string) (*Subscription, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.byName[name]
	return s, ok
}
