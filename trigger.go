package ordo

import (
	"context"
	"encoding/json"
	"fmt"
)

// TriggerOption configures a trigger declared with Workflow.On.
type TriggerOption interface {
	applyTrigger(c *triggerConfig)
}

type triggerConfig struct {
	name, cond string
	params     any // func(*PublishedEvent) (In, error) for the workflow's In
}

type triggerOptionFunc func(c *triggerConfig)

func (f triggerOptionFunc) applyTrigger(c *triggerConfig) { f(c) }

// If filters a trigger's events by a CEL expression over type, id and
// payload, such as `payload.total > 100` (numbers compare as numbers,
// however the JSON spells them). The expression is type-checked when the
// workflow is registered; an event for which it fails to evaluate (a
// missing key, say: guard with has(payload.total)) starts nothing and the
// error is recorded on its delivery.
func If(expr string) TriggerOption {
	return triggerOptionFunc(func(c *triggerConfig) { c.cond = expr })
}

// SubscriptionName names a trigger's subscription. Default:
// "<workflow>:<event type>". The name is part of the IDs of the instances
// it starts, so keep it stable while events may be replayed.
func SubscriptionName(name string) TriggerOption {
	return triggerOptionFunc(func(c *triggerConfig) { c.name = name })
}

// ParamsFrom turns a trigger's event into the workflow's params. Without
// it the event's payload is the params. An error wrapping
// ErrInvalidArgument is recorded on the delivery as an invalid payload.
// In must be the workflow's params type (Register checks it).
func ParamsFrom[In any](fn func(ev *PublishedEvent) (In, error)) TriggerOption {
	return triggerOptionFunc(func(c *triggerConfig) { c.params = fn })
}

// workflowTrigger is one trigger declared with On, checked when its
// workflow is registered.
type workflowTrigger struct {
	eventType string
	cfg       triggerConfig
}

// triggered is a Definition with triggers.
type triggered interface {
	subscriptions() ([]Subscription, error)
}

// On declares that every published event of eventType (Engine.Publish,
// POST /v1/events) starts an instance of w, once per event: the instance
// ID is derived from the subscription and the event ID
// (SubscriptionInstanceID). Options filter the events (If), name the
// subscription (SubscriptionName) and map the event to params
// (ParamsFrom). On returns w, so triggers chain:
//
//	var invoice = ordo.NewWorkflow("invoice", sendInvoice).
//		On("cart.created").
//		On("order.placed", ordo.If("payload.total > 100"))
//
// Triggers take effect when w is registered; errors in them are returned
// by Engine.Register.
func (w *Workflow[In, Out]) On(eventType string, opts ...TriggerOption) *Workflow[In, Out] {
	t := &workflowTrigger{eventType: eventType}
	for _, o := range opts {
		if o != nil {
			o.applyTrigger(&t.cfg)
		}
	}
	w.triggers = append(w.triggers, t)
	return w
}

func (w *Workflow[In, Out]) subscriptions() ([]Subscription, error) {
	out := make([]Subscription, 0, len(w.triggers))
	for _, t := range w.triggers {
		name := t.cfg.name
		if name == "" {
			name = w.name + ":" + t.eventType
		}
		var mapFn func(*PublishedEvent) (In, error)
		if t.cfg.params != nil {
			fn, ok := t.cfg.params.(func(*PublishedEvent) (In, error))
			if !ok {
				return nil, fmt.Errorf("%w: workflow %q: trigger %q: ParamsFrom returns %T params, the workflow takes %T",
					ErrInvalidArgument, w.name, name, t.cfg.params, *new(In))
			}
			mapFn = fn
		}
		out = append(out, Subscription{Name: name, Event: t.eventType, If: t.cfg.cond,
			Start: func(_ context.Context, ev *PublishedEvent) (*SubscriptionStart, error) {
				if mapFn == nil {
					return &SubscriptionStart{Workflow: w.name, Params: ev.Payload}, nil
				}
				in, err := mapFn(ev)
				if err != nil {
					return nil, err
				}
				b, err := json.Marshal(in)
				if err != nil {
					return nil, fmt.Errorf("%w: encode params: %w", ErrInvalidArgument, err)
				}
				return &SubscriptionStart{Workflow: w.name, Params: b}, nil
			}})
	}
	return out, nil
}

// collectTriggers returns the prepared subscriptions of defs' triggers.
func collectTriggers(defs []Definition) ([]*Subscription, error) {
	var out []*Subscription
	for _, d := range defs {
		t, ok := d.(triggered)
		if !ok {
			continue
		}
		subs, err := t.subscriptions()
		if err != nil {
			return nil, err
		}
		for i := range subs {
			if err := prepareSubscription(&subs[i]); err != nil {
				return nil, fmt.Errorf("workflow %q: %w", d.Name(), err)
			}
			out = append(out, &subs[i])
		}
	}
	return out, nil
}
