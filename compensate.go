package ordo

import (
	"context"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo/store"
)

// compensate runs the compensations of all completed steps in reverse order
// after the workflow failed (or was cancelled) with cause, then ends the
// instance with status (errored or cancelled) and cause, listing the
// compensations that failed. It returns a signal when it must suspend (a
// compensation retry is due later) or stop; nil when the instance was
// finished.
func (r *run) compensate(cause *store.ErrorInfo, status store.InstanceStatus) any {
	var failures []store.ErrorInfo
	for _, rec := range r.completedCompensable() {
		switch rec.CompensationStatus {
		case store.CompCompleted, store.CompSkipped:
			continue
		case store.CompFailed:
			if rec.CompensationError != nil {
				failures = append(failures, *rec.CompensationError)
			}
			continue
		case store.CompRetrying:
			if rec.CompensationNextAt != nil && rec.CompensationNextAt.After(r.now()) {
				return &suspendSignal{wakeAt: rec.CompensationNextAt}
			}
		}
		r.mu.Lock()
		comp := r.comps[rec.Key]
		r.mu.Unlock()
		for {
			next, sig := r.compensateOnce(rec, comp)
			if sig != nil {
				return sig
			}
			if next.CompensationStatus == store.CompFailed && next.CompensationError != nil {
				failures = append(failures, *next.CompensationError)
			}
			if next.CompensationStatus != store.CompRetrying {
				break
			}
			if next.CompensationNextAt.After(r.now()) {
				return &suspendSignal{wakeAt: next.CompensationNextAt}
			}
			rec = next
		}
	}
	if cause := r.stopReason(); cause != nil {
		return &stopSignal{cause: cause}
	}
	cause.Compensations = failures
	r.finishRollback(status, cause)
	return nil
}

// compensateOnce runs one attempt of a step's compensation and records it.
func (r *run) compensateOnce(rec *store.Step, comp *compensation) (*store.Step, any) {
	next := *rec
	attempt := rec.CompensationAttempts + 1
	next.CompensationAttempts = attempt
	begin := r.now()
	var err error
	var opts *StepOptions
	span := trace.SpanFromContext(context.Background()) // no-op until an attempt runs
	if comp == nil {
		err = NonRetryable(fmt.Errorf("no compensation registered for step %q in this run (did the workflow code change?)", rec.Key))
	} else {
		opts = comp.opts
		state := &stepState{info: StepInfo{InstanceID: r.inst.ID, Workflow: r.inst.Workflow, Step: rec.Name,
			Key: rec.Key, Attempt: attempt, IdempotencyKey: r.inst.ID + "/" + rec.Key + "/compensate", Compensation: true}}
		var actx context.Context
		actx, span = r.startAttemptSpan(rec.Name, rec.Key, attempt, true)
		_, _, err = r.attempt(actx, state, opts.timeout(), func(ctx context.Context) (json.RawMessage, json.RawMessage, error) {
			return nil, nil, comp.fn(ctx, rec.CompensationData)
		})
	}
	end := r.now()
	if cause := r.stopReason(); cause != nil && r.ctx.Err() != nil {
		endUnrecordedAttempt(span, outcomeStopped)
		return nil, &stopSignal{cause: cause}
	}
	att := store.Attempt{Number: attempt, Compensation: true, StartedAt: begin, FinishedAt: end}
	if err == nil {
		next.CompensationStatus = store.CompCompleted
		next.CompensationError = nil
		next.CompensationNextAt = nil
	} else {
		ei := &store.ErrorInfo{Message: fmt.Sprintf("compensation of step %q: %v", rec.Name, err), Kind: store.ErrorKindCompensation, Step: rec.Name}
		att.Error = ei
		next.CompensationError = ei
		policy := opts.policy()
		if IsNonRetryable(err) || attempt-rec.CompensationBase > policy.Limit {
			next.CompensationStatus = store.CompFailed
			next.CompensationNextAt = nil
			r.logger().Error("ordo: compensation failed for good", LogKeyStep, rec.Key, LogKeyAttempt, attempt, "err", err)
		} else {
			at := end.Add(policy.NextDelay(attempt))
			next.CompensationStatus = store.CompRetrying
			next.CompensationNextAt = &at
		}
	}
	endAttemptSpan(span, next.CompensationError, next.CompensationStatus == store.CompRetrying)
	upd := &store.Update{Steps: []*store.Step{&next}, Attempts: []store.AttemptRecord{{StepKey: rec.Key, Attempt: att}}}
	if _, cerr := r.commit(upd); cerr != nil {
		return nil, &stopSignal{cause: cerr}
	}
	r.record(&next)
	r.observeCompensation(rec, &att, err)
	return &next, nil
}
