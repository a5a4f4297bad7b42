package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// WaitOption refines WaitForEvent.
type WaitOption interface {
	applyWait(c *waitConfig)
}

type waitConfig struct {
	fields map[string]json.RawMessage
	err    error
}

type waitOptionFunc func(c *waitConfig)

func (f waitOptionFunc) applyWait(c *waitConfig) { f(c) }

// Match makes WaitForEvent accept only events whose payload is a JSON
// object with the top-level field equal to value: a string, a number
// (compared as a number, so 10 matches 10.0), a boolean or nil (JSON null).
// Several Match options must all hold. Events of the type that do not
// match are left for other waits; they neither wake nor satisfy this one.
// At most 16 fields, each value at most 1 KiB of JSON.
func Match(field string, value any) WaitOption {
	return waitOptionFunc(func(c *waitConfig) {
		if c.err != nil {
			return
		}
		raw, err := json.Marshal(value)
		if err != nil {
			c.err = fmt.Errorf("%w: Match %q: marshal value: %w", ErrInvalidArgument, field, err)
			return
		}
		if c.fields == nil {
			c.fields = make(map[string]json.RawMessage)
		}
		c.fields[field] = raw
	})
}

// waitMatch returns the match opts describe for eventType, nil when there
// is none.
func waitMatch(eventType string, opts []WaitOption) (*store.EventMatch, error) {
	var c waitConfig
	for _, o := range opts {
		if o != nil {
			o.applyWait(&c)
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	if len(c.fields) == 0 {
		return nil, nil
	}
	m := &store.EventMatch{Type: eventType, Fields: c.fields}
	if err := store.ValidateMatch(*m); err != nil {
		return nil, fmt.Errorf("%w: WaitForEvent: %s", ErrInvalidArgument, err.Error())
	}
	return m, nil
}

// beginMatch records a matched wait with the store (store.MatchStore, when
// the store has it), so that published events reach it, and adds the
// published events of the look-back window that match to the run's
// events. It runs once per wait: when the step is not recorded yet.
func (r *run) beginMatch(key string, m store.EventMatch, started time.Time) {
	ms, ok := r.e.store.(store.MatchStore)
	if !ok {
		return
	}
	since := started.Add(-r.e.cfg.EventMatchWindow)
	if r.e.cfg.EventMatchWindow < 0 {
		since = started
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	copies, err := ms.WaitMatchBegin(ctx, &store.WaitMatchParams{InstanceID: r.inst.ID, LeaseToken: r.inst.LeaseToken,
		StepKey: key, Match: m, Since: since, Now: r.now()})
	if errors.Is(err, store.ErrLeaseLost) {
		r.setStop(errLeaseLost)
		panic(&stopSignal{cause: errLeaseLost})
	}
	if err != nil {
		err = fmt.Errorf("step %q: begin the matched wait: %w", key, err)
		r.mu.Lock()
		r.stopCauseLocked(err)
		r.mu.Unlock()
		panic(&stopSignal{cause: err})
	}
	r.mu.Lock()
	r.events = append(r.events, copies...)
	r.mu.Unlock()
}
