package ordo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// DefaultAsyncWait is how long an asynchronous step waits for its result
// when StepOptions.Wait is zero.
const DefaultAsyncWait = 24 * time.Hour

// DoAsync runs an asynchronous step: start begins work elsewhere (a
// warehouse that ships, a person who approves) and returns; the step's
// result arrives later from outside, with Engine.CompleteStep or
// Engine.FailStep (POST /v1/instances/{id}/steps/{key}/complete or
// /fail), and DoAsync returns it decoded as Out. While it waits the
// instance holds no worker.
//
// start gets the attempt's StepInfo: hand its InstanceID and Key to the
// system that reports the result (and its IdempotencyKey to the system
// that does the work). The step is waiting, so it takes a result, from
// just before start runs: a result reported while start still runs
// counts. start is bounded by opts.Timeout like a Do attempt; the wait
// for the result by opts.Wait (default 24 hours). A start that fails, a
// reported failure and a wait that times out are each a failed attempt,
// retried per opts.Retries by running start again (a result reported for
// an earlier attempt is refused); a failure reported as non-retryable
// fails the step for good, as does the last attempt. When it fails for
// good DoAsync returns a *StepError. start may run more than once for an
// attempt when the worker crashes while it runs: make it idempotent with
// the IdempotencyKey.
func DoAsync[Out any](ctx context.Context, name string, opts *StepOptions, start func(ctx context.Context, step StepInfo) error) (Out, error) {
	return doAsync[Out](ctx, name, opts, start, nil)
}

// DoAsyncWithCompensation is DoAsync for a step that can be undone: if
// the workflow later fails (or is cancelled), compensate runs with the
// step's output, in reverse order of the steps, durably recorded and
// retried per opts (see DoWithCompensation).
func DoAsyncWithCompensation[Out any](ctx context.Context, name string, opts *StepOptions,
	start func(ctx context.Context, step StepInfo) error, compensate func(ctx context.Context, out Out) error) (Out, error) {
	if compensate == nil {
		var zero Out
		return zero, fmt.Errorf("%w: step %q: compensate must not be nil", ErrInvalidArgument, name)
	}
	cp := opts.compensation().policy()
	if err := cp.Validate(); err != nil {
		var zero Out
		return zero, fmt.Errorf("step %q: compensation: %w", name, err)
	}
	return doAsync[Out](ctx, name, opts, start, eraseCompensate(compensate, opts.compensation()))
}

func doAsync[Out any](ctx context.Context, name string, opts *StepOptions, start func(ctx context.Context, step StepInfo) error, comp *compensation) (Out, error) {
	var zero Out
	if start == nil {
		return zero, fmt.Errorf("%w: step %q: start must not be nil", ErrInvalidArgument, name)
	}
	r, err := runFrom(ctx)
	if err != nil {
		return zero, err
	}
	fn := func(ctx context.Context) (json.RawMessage, json.RawMessage, error) {
		info, _ := StepInfoFrom(ctx)
		return nil, nil, start(ctx, info)
	}
	call, err := r.newCall(name, store.KindAsync, opts, fn, comp)
	if err != nil {
		return zero, err
	}
	raw, err := r.settle(r.asyncStep(call))
	if err != nil {
		return zero, err
	}
	return decodeOutput[Out](name, raw)
}

// asyncStep resolves an asynchronous step from the journal and its
// result events, running its start function when an attempt begins; it
// suspends the run (panics) while the step waits.
func (r *run) asyncStep(c *stepCall) *stepResult {
	for {
		rec := r.lookup(c.key)
		attempt := 1
		if rec != nil {
			switch rec.Status {
			case store.StepCompleted:
				return &stepResult{out: rec.Output}
			case store.StepFailed:
				return &stepResult{err: stepErrorFromRecord(rec)}
			case store.StepWaiting:
				if rec.WakeAt != nil {
					if res := r.awaitResult(c, rec); res != nil {
						return res
					}
					continue // failed; the retry is due at once
				}
				attempt = rec.Attempts // start may not have returned: run it again
			case store.StepRetrying:
				if rec.NextAttemptAt != nil && rec.NextAttemptAt.After(r.now()) {
					r.replayEnd()
					return &stepResult{retryAt: rec.NextAttemptAt}
				}
				attempt = rec.Attempts + 1
			}
		}
		r.replayEnd()
		if res := r.startAsync(c, rec, attempt); res != nil {
			return res
		}
	}
}

// startAsync begins attempt attempt of c: it records the step waiting
// (so it takes a result from now on), runs the start function and either
// suspends the run until the result or its deadline, or returns the
// failed attempt's outcome (nil: its retry is due at once).
func (r *run) startAsync(c *stepCall, prev *store.Step, attempt int) *stepResult {
	if !r.checkLease(r.now()) {
		return &stepResult{stop: errLeaseLost}
	}
	started := r.now()
	if prev != nil {
		started = prev.StartedAt
	}
	step := &store.Step{InstanceID: c.iid, Key: c.key, Name: c.name, Seq: c.seq, Ordinal: c.ordinal,
		Kind: store.KindAsync, Status: store.StepWaiting, Attempts: attempt, StartedAt: started}
	if _, err := r.commit(&store.Update{Steps: []*store.Step{step}}); err != nil {
		return &stepResult{stop: err}
	}
	r.record(step)
	r.cutOff.Store(false) // start runs again anyway
	info := StepInfo{InstanceID: c.iid, Workflow: c.workflow, Step: c.name, Key: c.key,
		Attempt: attempt, IdempotencyKey: c.iid + "/" + c.key}
	begin := r.now()
	actx, span := r.startAttemptSpan(c.name, c.key, attempt, false)
	_, _, err := r.attempt(actx, &stepState{info: info}, c.opts.timeout(), c.fn)
	end := r.now()
	if cause := r.stopReason(); cause != nil && r.ctx.Err() != nil {
		endUnrecordedAttempt(span, outcomeStopped)
		return &stepResult{stop: cause}
	}
	if err != nil {
		res := r.asyncOutcome(c, step, store.Attempt{Number: attempt, StartedAt: begin, FinishedAt: end}, nil, err, nil)
		endAttemptSpan(span, attemptErrorInfo(err, c.name), res == nil || res.retryAt != nil)
		return res
	}
	endUnrecordedAttempt(span, outcomeWaiting)
	waiting := *step
	deadline := end.Add(c.opts.wait())
	waiting.WakeAt = &deadline
	r.addPending(&waiting)
	panic(&suspendSignal{wakeAt: &deadline, await: []string{store.StepResultType(c.key, attempt)}})
}

// awaitResult answers a waiting asynchronous step whose start returned:
// with its result if it arrived, a timeout past its deadline, or by
// suspending the run until one of them.
func (r *run) awaitResult(c *stepCall, rec *store.Step) *stepResult {
	now := r.now()
	typ := store.StepResultType(c.key, rec.Attempts)
	began := rec.WakeAt.Add(-c.opts.wait())
	att := store.Attempt{Number: rec.Attempts, StartedAt: began, FinishedAt: now}
	if ev := r.takeEvent(typ, nil); ev != nil {
		var res store.StepResult
		if err := json.Unmarshal(ev.Payload, &res); err != nil {
			return r.asyncOutcome(c, rec, att, nil, NonRetryable(fmt.Errorf("decode the result of step %q: %w", c.key, err)), ev)
		}
		if res.Error != nil {
			var err error = &reportedError{msg: res.Error.Message}
			if res.Error.Kind == store.ErrorKindNonRetryable {
				err = NonRetryable(err)
			}
			return r.asyncOutcome(c, rec, att, nil, err, ev)
		}
		out := res.Output
		if len(out) == 0 {
			out = json.RawMessage("null")
		}
		return r.asyncOutcome(c, rec, att, out, nil, ev)
	}
	if !rec.WakeAt.After(now) {
		err := fmt.Errorf("attempt %d of step %q got no result within %s: %w", rec.Attempts, c.name, c.opts.wait(), ErrStepTimeout)
		return r.asyncOutcome(c, rec, att, nil, err, nil)
	}
	r.replayEnd()
	panic(&suspendSignal{wakeAt: rec.WakeAt, await: []string{typ}})
}

// asyncOutcome records how an attempt of an asynchronous step ended:
// completed with out, or failed with err (retried per the policy). ev is
// the result event it consumes, if any. A nil result means the retry is
// due at once.
func (r *run) asyncOutcome(c *stepCall, rec *store.Step, att store.Attempt, out json.RawMessage, err error, ev *store.Event) *stepResult {
	step := *rec
	step.WakeAt = nil
	upd := &store.Update{}
	if ev != nil {
		upd.ConsumeEvents = []store.EventConsumption{{EventID: ev.ID, StepKey: c.key}}
	}
	var res *stepResult
	if err == nil {
		if e := r.e.checkPayload(fmt.Sprintf("output of step %q", c.name), out); e != nil {
			err = NonRetryable(e)
		}
	}
	if err == nil {
		end := att.FinishedAt
		step.Status, step.Output, step.FinishedAt = store.StepCompleted, out, &end
		step.Error = nil
		if c.hasComp {
			step.HasCompensation, step.CompensationData = true, out
		}
		res = &stepResult{out: out}
	} else {
		att.Error = attemptErrorInfo(err, c.name)
		res = r.failAttempt(c, &step, att.FinishedAt, err)
	}
	upd.Steps = []*store.Step{&step}
	upd.Attempts = []store.AttemptRecord{{StepKey: c.key, Attempt: att}}
	if _, cerr := r.commit(upd); cerr != nil {
		return &stepResult{stop: cerr}
	}
	r.record(&step)
	if res.retryAt != nil && !res.retryAt.After(r.now()) {
		return nil
	}
	return res
}

// reportedError is the failure an asynchronous step's result reported
// (Engine.FailStep).
type reportedError struct{ msg string }

func (e *reportedError) Error() string { return e.msg }
