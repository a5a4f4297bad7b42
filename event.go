package ordo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// DefaultEventTimeout is how long WaitForEvent waits when timeout is zero.
const DefaultEventTimeout = 24 * time.Hour

// WaitForEvent waits durably for an event of eventType sent to this instance
// (Engine.SendEvent or POST /v1/instances/{id}/events) and returns its
// payload decoded as T. An event sent before the wait starts is kept and
// received here. If none arrives within timeout (zero: 24 hours), it returns
// an error wrapping ErrEventTimeout that the workflow may handle. While it
// waits the instance holds no worker.
//
// With Match options the wait accepts only an event whose payload matches
// (ordo.Match("orderId", id)): two "paid" events for orders A and B sent
// to an instance waiting with Match("orderId", "B") return B's, and A's is
// left unconsumed. Without Match the oldest unconsumed event of the type is
// received, as before.
func WaitForEvent[T any](ctx context.Context, name, eventType string, timeout time.Duration, opts ...WaitOption) (T, error) {
	var zero T
	r, err := runFrom(ctx)
	if err != nil {
		return zero, err
	}
	if name == "" || eventType == "" {
		return zero, fmt.Errorf("%w: WaitForEvent needs a name and an event type", ErrInvalidArgument)
	}
	if timeout <= 0 {
		timeout = DefaultEventTimeout
	}
	match, err := waitMatch(eventType, opts)
	if err != nil {
		return zero, err
	}
	raw, err := r.waitForEvent(name, eventType, timeout, match)
	if err != nil {
		return zero, err
	}
	return decodeOutput[T](name, raw)
}

func (r *run) waitForEvent(name, eventType string, timeout time.Duration, match *store.EventMatch) (json.RawMessage, error) {
	r.checkStop()
	key, seq, ord := r.nextCall(name)
	r.expect(key, ord, store.KindEvent)
	now := r.now()
	rec := r.lookup(key)
	if rec != nil {
		switch rec.Status {
		case store.StepCompleted:
			return rec.Output, nil
		case store.StepFailed:
			return nil, fmt.Errorf("step %q: no %q event within %s: %w", name, eventType, timeout, ErrEventTimeout)
		}
	}
	r.replayEnd()
	started := now
	if rec != nil {
		started = rec.StartedAt
	}
	step := &store.Step{InstanceID: r.inst.ID, Key: key, Name: name, Seq: seq, Ordinal: ord,
		Kind: store.KindEvent, StartedAt: started, Attempts: 1, Await: &store.EventAwait{Type: eventType}}
	if match != nil {
		step.Await.Match = match.Fields
	}
	if match != nil && rec == nil {
		r.beginMatch(key, *match, started)
	}
	if ev := r.takeEvent(eventType, match); ev != nil {
		step.Status = store.StepCompleted
		step.Output = ev.Payload
		if len(step.Output) == 0 {
			step.Output = json.RawMessage("null")
		}
		step.FinishedAt = &now
		upd := &store.Update{Steps: []*store.Step{step},
			ConsumeEvents: []store.EventConsumption{{EventID: ev.ID, StepKey: key}}}
		if _, err := r.commit(upd); err != nil {
			panic(&stopSignal{cause: err})
		}
		r.record(step)
		return step.Output, nil
	}
	deadline := now.Add(timeout)
	if rec != nil && rec.WakeAt != nil {
		deadline = *rec.WakeAt
	}
	if !deadline.After(now) {
		step.Status = store.StepFailed
		step.FinishedAt = &now
		step.Error = &store.ErrorInfo{Message: fmt.Sprintf("no %q event within %s", eventType, timeout), Kind: store.ErrorKindTimeout, Step: name}
		if _, err := r.commit(&store.Update{Steps: []*store.Step{step}}); err != nil {
			panic(&stopSignal{cause: err})
		}
		r.record(step)
		return nil, fmt.Errorf("step %q: no %q event within %s: %w", name, eventType, timeout, ErrEventTimeout)
	}
	if rec == nil {
		step.Status = store.StepWaiting
		step.WakeAt = &deadline
		r.addPending(step)
	}
	if match != nil {
		panic(&suspendSignal{wakeAt: &deadline, awaitMatch: []store.EventMatch{*match}})
	}
	panic(&suspendSignal{wakeAt: &deadline, await: []string{eventType}})
}

// takeEvent returns the oldest unconsumed event of a type (whose payload
// satisfies match, when set) and marks it taken.
func (r *run) takeEvent(eventType string, match *store.EventMatch) *store.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if ev.Type == eventType && !r.consumed[ev.ID] && (match == nil || match.Matches(ev.Payload)) {
			r.consumed[ev.ID] = true
			return ev
		}
	}
	return nil
}
