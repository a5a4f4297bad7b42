package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ordohq/ordo/store"
)

// stepFunc is a type-erased step: output and compensation data as JSON.
type stepFunc func(ctx context.Context) (out, compData json.RawMessage, err error)

// compensation undoes a completed step from the data it recorded.
type compensation struct {
	fn   func(ctx context.Context, data json.RawMessage) error
	opts *StepOptions
}

type stepCall struct {
	name, key     string
	seq, ordinal  int
	opts          *StepOptions
	fn            stepFunc
	hasComp       bool
	workflow, iid string
	// limit is the declared limit opts.Limit names, nil for none.
	limit *store.Limit
}

// stepResult is the outcome of resolving or running a step.
type stepResult struct {
	out     json.RawMessage
	err     error      // a final *StepError
	retryAt *time.Time // the next attempt is due then: suspend
	stop    error      // the run must stop
}

// Do runs fn as a durable step named name and returns its result. The first
// successful result is stored; when the workflow is replayed after a
// restart, Do returns the stored result without running fn. A failed
// attempt is retried per opts (nil: 5 retries, 10 s exponential backoff,
// 10 minute timeout per attempt); while a retry is due the instance waits
// without holding a worker. When the step fails for good, Do returns a
// *StepError.
//
// name plus its occurrence count identifies the step, so calling Do with the
// same name in a loop gives distinct steps. fn must be idempotent or use
// StepInfoFrom(ctx).IdempotencyKey: a crash after fn's side effect but
// before its result is stored runs it again. The attempt the crashed (or
// frozen) worker may have been running counts against the retry limit: it
// is recorded as failed with error kind "cut_off" and the next attempt runs
// at once, so a step that keeps killing its worker ends failed instead of
// running forever.
func Do[Out any](ctx context.Context, name string, opts *StepOptions, fn func(ctx context.Context) (Out, error)) (Out, error) {
	return doTyped[Out](ctx, name, opts, erase(fn), nil)
}

// DoWithCompensation is Do for a step that can be undone. fn returns the
// step's output and the data its compensation needs (for example the state
// before an update). If the workflow later fails, compensate runs with that
// data, in reverse order of the steps, durably recorded and retried per
// opts.
func DoWithCompensation[Out, C any](ctx context.Context, name string, opts *StepOptions,
	fn func(ctx context.Context) (Out, C, error), compensate func(ctx context.Context, data C) error) (Out, error) {
	if compensate == nil {
		var zero Out
		return zero, fmt.Errorf("%w: step %q: compensate must not be nil", ErrInvalidArgument, name)
	}
	cp := opts.compensation().policy()
	if err := cp.Validate(); err != nil {
		var zero Out
		return zero, fmt.Errorf("step %q: compensation: %w", name, err)
	}
	return doTyped[Out](ctx, name, opts, eraseComp(fn), eraseCompensate(compensate, opts.compensation()))
}

func erase[Out any](fn func(ctx context.Context) (Out, error)) stepFunc {
	return func(ctx context.Context) (json.RawMessage, json.RawMessage, error) {
		v, err := fn(ctx)
		if err != nil {
			return nil, nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, NonRetryable(fmt.Errorf("encode step output: %w", err))
		}
		return b, nil, nil
	}
}

func eraseComp[Out, C any](fn func(ctx context.Context) (Out, C, error)) stepFunc {
	return func(ctx context.Context) (json.RawMessage, json.RawMessage, error) {
		v, c, err := fn(ctx)
		if err != nil {
			return nil, nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, NonRetryable(fmt.Errorf("encode step output: %w", err))
		}
		cb, err := json.Marshal(c)
		if err != nil {
			return nil, nil, NonRetryable(fmt.Errorf("encode compensation data: %w", err))
		}
		return b, cb, nil
	}
}

func eraseCompensate[C any](fn func(ctx context.Context, data C) error, opts *StepOptions) *compensation {
	return &compensation{opts: opts, fn: func(ctx context.Context, raw json.RawMessage) error {
		var c C
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &c); err != nil {
				return NonRetryable(fmt.Errorf("decode compensation data: %w", err))
			}
		}
		return fn(ctx, c)
	}}
}

func doTyped[Out any](ctx context.Context, name string, opts *StepOptions, fn stepFunc, comp *compensation) (Out, error) {
	var zero Out
	r, err := runFrom(ctx)
	if err != nil {
		return zero, err
	}
	call, err := r.newCall(name, store.KindDo, opts, fn, comp)
	if err != nil {
		return zero, err
	}
	res := r.resolve(call)
	if res == nil || res.retryAt != nil {
		r.replayEnd()
	}
	for res == nil {
		res = r.runStep(call)
		if res.retryAt != nil && !res.retryAt.After(r.now()) {
			res = nil // no delay: next attempt at once
		}
	}
	raw, err := r.settle(res)
	if err != nil {
		return zero, err
	}
	return decodeOutput[Out](name, raw)
}

func decodeOutput[Out any](name string, raw json.RawMessage) (Out, error) {
	var out Out
	if len(raw) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("decode stored output of step %q: %w", name, err)
	}
	return out, nil
}

// newCall checks and numbers a step call of kind (KindDo or KindAsync).
func (r *run) newCall(name string, kind store.StepKind, opts *StepOptions, fn stepFunc, comp *compensation) (*stepCall, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: step name must not be empty", ErrInvalidArgument)
	}
	// A NUL or invalid UTF-8 would fail the commit of every batch the
	// step's record is in (PostgreSQL's text columns refuse them).
	if !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
		return nil, &Error{Sentinel: ErrInvalidArgument, Message: fmt.Sprintf("step name %q must be UTF-8 text without NUL", name)}
	}
	p := opts.policy()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("step %q: %w", name, err)
	}
	lim, err := r.limitOf(name, opts)
	if err != nil {
		return nil, err
	}
	if lim != nil && kind != store.KindDo {
		return nil, &Error{Sentinel: ErrInvalidArgument, Message: fmt.Sprintf("step %q: a limit applies to Do steps only", name)}
	}
	r.checkStop()
	key, seq, ord := r.nextCall(name)
	r.expect(key, ord, kind)
	if comp != nil {
		r.mu.Lock()
		r.comps[key] = comp
		r.mu.Unlock()
	}
	return &stepCall{name: name, key: key, seq: seq, ordinal: ord, opts: opts, fn: fn,
		hasComp: comp != nil, workflow: r.inst.Workflow, iid: r.inst.ID, limit: lim}, nil
}

// settle turns a result into Do's return on the workflow goroutine,
// unwinding it for suspension or stop.
func (r *run) settle(res *stepResult) (json.RawMessage, error) {
	switch {
	case res.stop != nil:
		panic(&stopSignal{cause: res.stop})
	case res.retryAt != nil:
		panic(&suspendSignal{wakeAt: res.retryAt})
	case res.err != nil:
		return nil, res.err
	}
	return res.out, nil
}

// resolve answers a step call from the journal; nil means run an attempt.
func (r *run) resolve(c *stepCall) *stepResult {
	rec := r.lookup(c.key)
	if rec == nil {
		return nil
	}
	switch rec.Status {
	case store.StepCompleted:
		return &stepResult{out: rec.Output}
	case store.StepFailed:
		return &stepResult{err: stepErrorFromRecord(rec)}
	case store.StepRetrying:
		if rec.NextAttemptAt != nil && rec.NextAttemptAt.After(r.now()) {
			return &stepResult{retryAt: rec.NextAttemptAt}
		}
	}
	return nil
}

func stepErrorFromRecord(rec *store.Step) *StepError {
	se := &StepError{Step: rec.Name, Attempts: rec.Attempts, Kind: ErrorKindStep}
	if rec.Error != nil {
		se.Message = rec.Error.Message
		if rec.Error.Kind != "" {
			se.Kind = rec.Error.Kind
		}
	}
	se.setFlags()
	return se
}

// runStep runs one attempt of a step and durably records its outcome.
func (r *run) runStep(c *stepCall) *stepResult {
	if !r.checkLease(r.now()) {
		return &stepResult{stop: errLeaseLost}
	}
	prev := r.lookup(c.key)
	attempt := 1
	started := r.now()
	if prev != nil {
		attempt = prev.Attempts + 1
		started = prev.StartedAt
	}
	// The worker that held the instance before stopped renewing its lease,
	// perhaps while running this attempt: it is counted as failed (and
	// retried at once) rather than run without a trace. Charged before the
	// limit is asked, it needs no slot, and a refusal cannot lose it.
	cutOff := r.cutOff.CompareAndSwap(true, false)
	if c.limit != nil && !cutOff {
		if res := r.acquireLimit(c, prev, started); res != nil {
			return res
		}
	}
	info := StepInfo{InstanceID: c.iid, Workflow: c.workflow, Step: c.name, Key: c.key,
		Attempt: attempt, IdempotencyKey: c.iid + "/" + c.key}
	begin := r.now()
	state := &stepState{info: info}
	var (
		out, compData json.RawMessage
		err           error
	)
	actx, span := r.startAttemptSpan(c.name, c.key, attempt, false)
	if cutOff {
		err = &CutOffError{Step: c.name, Attempt: attempt}
		r.logger().Warn("ordo: counting an attempt cut off by a lost worker", LogKeyStep, c.key, LogKeyAttempt, attempt)
	} else {
		out, compData, err = r.attempt(actx, state, c.opts.timeout(), c.fn)
	}
	end := r.now()
	if cause := r.stopReason(); cause != nil && r.ctx.Err() != nil {
		// Terminated, shut down or lease lost mid-attempt: not the step's
		// failure; nothing is recorded and the attempt runs again later.
		endUnrecordedAttempt(span, outcomeStopped)
		return &stepResult{stop: cause}
	}
	if err == nil {
		if e := r.e.checkPayload(fmt.Sprintf("output of step %q", c.name), out); e != nil {
			err = NonRetryable(e)
		} else if e := r.e.checkPayload(fmt.Sprintf("compensation data of step %q", c.name), compData); e != nil {
			err = NonRetryable(e)
		}
	}
	step := &store.Step{
		InstanceID: c.iid, Key: c.key, Name: c.name, Seq: c.seq, Ordinal: c.ordinal,
		Kind: store.KindDo, Attempts: attempt, StartedAt: started,
	}
	upd := &store.Update{}
	att := store.Attempt{Number: attempt, StartedAt: begin, FinishedAt: end}
	var res *stepResult
	if err == nil {
		step.Status = store.StepCompleted
		step.Output = out
		step.FinishedAt = &end
		step.HasCompensation = c.hasComp
		step.CompensationData = compData
		if state.customStatus != nil {
			step.CustomStatus = *state.customStatus
			upd.CustomStatus = state.customStatus
		}
		res = &stepResult{out: out}
	} else {
		att.Error = attemptErrorInfo(err, c.name)
		res = r.failAttempt(c, step, end, err)
	}
	endAttemptSpan(span, step.Error, step.Status == store.StepRetrying)
	upd.Steps = []*store.Step{step}
	upd.Attempts = []store.AttemptRecord{{StepKey: c.key, Attempt: att}}
	if _, cerr := r.commit(upd); cerr != nil {
		return &stepResult{stop: cerr}
	}
	if !cutOff {
		r.releaseLimit(c)
	}
	r.record(step)
	r.observeAttempt(c, &att)
	return res
}

// failAttempt fills in step (attempt step.Attempts of c, which failed
// with err at end) per c's retry policy: retrying at its next delay, or
// failed for good.
func (r *run) failAttempt(c *stepCall, step *store.Step, end time.Time, err error) *stepResult {
	attempt := step.Attempts
	step.Error = attemptErrorInfo(err, c.name)
	policy := c.opts.policy()
	if IsNonRetryable(err) || attempt > policy.Limit {
		step.Status = store.StepFailed
		step.FinishedAt = &end
		se := &StepError{Step: c.name, Attempts: attempt, Message: err.Error(), Kind: step.Error.Kind, cause: err}
		se.setFlags()
		if IsNonRetryable(err) {
			se.NonRetryableFailure = true // a non-retryable timeout or panic, too
		}
		r.logger().Warn("ordo: step failed", LogKeyStep, c.key, LogKeyAttempt, attempt, "kind", step.Error.Kind, "err", err)
		return &stepResult{err: se}
	}
	delay := policy.NextDelay(attempt)
	if ra, ok := RetryAfterDelay(err); ok && ra > delay {
		delay = ra
	}
	if errors.As(err, new(*CutOffError)) {
		delay = 0 // the lease's expiry was the wait
	}
	next := end.Add(delay)
	step.Status = store.StepRetrying
	step.NextAttemptAt = &next
	r.logger().Info("ordo: step attempt failed, will retry", LogKeyStep, c.key, LogKeyAttempt, attempt, "retry_in", delay, "err", err)
	return &stepResult{retryAt: &next}
}

func attemptErrorInfo(err error, step string) *store.ErrorInfo {
	return &store.ErrorInfo{Message: err.Error(), Kind: kindOf(err), Step: step}
}

type attemptResult struct {
	out, comp json.RawMessage
	err       error
}

// attempt runs fn once with a per-attempt timeout, in a context derived
// from parent (the run's, with the attempt's span). At the deadline its
// context is cancelled and fn gets Config.AbandonGrace to return; a
// function that ignores its context past that is abandoned (see
// abandonedError). A function still running when the run stops (pause,
// terminate, shutdown) is watched the same way.
func (r *run) attempt(parent context.Context, state *stepState, timeout time.Duration, fn stepFunc) (json.RawMessage, json.RawMessage, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	timeoutErr := fmt.Errorf("attempt %d of step %q timed out after %s: %w", state.info.Attempt, state.info.Step, timeout, ErrStepTimeout)
	timer := r.e.clock.AfterFunc(timeout, func() { cancel(timeoutErr) })
	defer timer.Stop()
	sctx := context.WithValue(ctx, stepKey{}, state)

	call := func(ctx context.Context) (json.RawMessage, error) {
		out, comp, err := fn(ctx)
		state.compData = comp
		return out, err
	}
	resCh := make(chan attemptResult, 1)
	go func() {
		var res attemptResult
		defer func() {
			if p := recover(); p != nil {
				res = attemptResult{err: &PanicError{Step: state.info.Step, Value: p, Stack: string(debug.Stack())}}
			}
			resCh <- res
		}()
		var out json.RawMessage
		var err error
		if ic := r.e.cfg.Interceptor; ic != nil {
			out, err = ic(sctx, state.info, call)
		} else {
			out, err = call(sctx)
		}
		res = attemptResult{out: out, comp: state.compData, err: err}
	}()
	select {
	case res := <-resCh:
		if res.err != nil && errors.Is(context.Cause(ctx), ErrStepTimeout) {
			res.err = timeoutErr
		}
		return res.out, res.comp, res.err
	case <-ctx.Done():
	}
	if !errors.Is(context.Cause(ctx), ErrStepTimeout) {
		// The run stops: it does not wait, but keeps an eye on fn.
		r.e.abandons.watch(state.info, resCh, r.e.cfg.AbandonGrace)
		return nil, nil, context.Cause(ctx)
	}
	grace := r.e.clock.NewTimer(r.e.cfg.AbandonGrace)
	defer grace.Stop()
	select {
	case res := <-resCh:
		if res.err != nil {
			res.err = timeoutErr
		}
		return res.out, res.comp, res.err
	case <-r.ctx.Done():
		r.e.abandons.watch(state.info, resCh, r.e.cfg.AbandonGrace)
		return nil, nil, context.Cause(r.ctx)
	case <-grace.C():
		r.e.abandons.add(state.info, resCh, "timeout")
		return nil, nil, NonRetryable(&abandonedError{step: state.info.Step, attempt: state.info.Attempt,
			timeout: timeout, grace: r.e.cfg.AbandonGrace})
	}
}
