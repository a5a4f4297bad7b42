package memory

import (
	"encoding/json"
	"time"

	"github.com/ordohq/ordo/store"
)

// Deep copies, and the normalisation every stored time gets: microsecond
// precision in UTC, as the SQL backends store it.

func norm(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := norm(*t)
	return &n
}

// now returns t, or the wall clock when the caller gave no time, normalised.
func now(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return norm(t)
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	return append(json.RawMessage{}, r...)
}

func cloneError(e *store.ErrorInfo) *store.ErrorInfo {
	if e == nil {
		return nil
	}
	c := *e
	if e.Compensations != nil {
		c.Compensations = make([]store.ErrorInfo, len(e.Compensations))
		for i := range e.Compensations {
			c.Compensations[i] = *cloneError(&e.Compensations[i])
		}
	}
	return &c
}

func cloneInstance(in *store.Instance) *store.Instance {
	c := *in
	c.Params = cloneRaw(in.Params)
	c.Output = cloneRaw(in.Output)
	c.Error = cloneError(in.Error)
	c.StartedAt = normPtr(in.StartedAt)
	c.FinishedAt = normPtr(in.FinishedAt)
	c.WakeAt = normPtr(in.WakeAt)
	c.LeaseExpiresAt = normPtr(in.LeaseExpiresAt)
	c.Rollback = cloneRollback(in.Rollback)
	c.Trace = cloneTrace(in.Trace)
	return &c
}

func cloneTrace(tc *store.TraceContext) *store.TraceContext {
	if tc == nil {
		return nil
	}
	c := *tc
	return &c
}

func cloneAttempt(a store.Attempt) store.Attempt {
	a.StartedAt = norm(a.StartedAt)
	a.FinishedAt = norm(a.FinishedAt)
	a.Error = cloneError(a.Error)
	return a
}

// cloneStep copies a step without its History (kept apart, see instance).
func cloneStep(st *store.Step) *store.Step {
	c := *st
	c.Output = cloneRaw(st.Output)
	c.Error = cloneError(st.Error)
	c.NextAttemptAt = normPtr(st.NextAttemptAt)
	c.WakeAt = normPtr(st.WakeAt)
	c.CompensationData = cloneRaw(st.CompensationData)
	c.CompensationError = cloneError(st.CompensationError)
	c.CompensationNextAt = normPtr(st.CompensationNextAt)
	c.Await = st.Await.Clone()
	c.StartedAt = norm(st.StartedAt)
	c.FinishedAt = normPtr(st.FinishedAt)
	c.History = nil
	return &c
}

func cloneEvent(ev *store.Event) *store.Event {
	c := *ev
	c.Payload = cloneRaw(ev.Payload)
	return &c
}

func cloneRollback(rb *store.Rollback) *store.Rollback {
	if rb == nil {
		return nil
	}
	c := *rb
	c.At = norm(rb.At)
	c.Cause = cloneError(rb.Cause)
	return &c
}
