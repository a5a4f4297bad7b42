package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo/store"
)

// suspendSignal unwinds the workflow goroutine when the instance must wait
// (a sleep, an event, a retry delay). The instance is stored as waiting and
// no goroutine or worker slot is held until it is due.
type suspendSignal struct {
	wakeAt *time.Time
	await  []string
	// awaitMatch are the matched waits (WaitForEvent with Match).
	awaitMatch []store.EventMatch
}

// stopSignal unwinds the workflow goroutine when the run must end without
// finishing (pause, terminate, shutdown, lost lease).
type stopSignal struct{ cause error }

// rollbackSignal unwinds the workflow goroutine of a run that rolls the
// instance back (store.Instance.Rollback) when the replay reaches work not
// done yet: the compensations of what was done are registered by then.
type rollbackSignal struct{}

// run executes one claimed instance by replaying its workflow function
// against the journal.
type run struct {
	e      *Engine
	inst   *store.Instance
	def    Definition
	ctx    context.Context
	cancel context.CancelCauseFunc
	// span is the run's trace span (tracing.go), ended by endSpan.
	span trace.Span
	// fresh marks an instance created claimed by this engine: its journal
	// is empty and is not loaded.
	fresh bool
	// cutOff is set when the instance was taken over from a worker whose
	// lease ran out (store.Instance.LeaseExpired): the first step attempt
	// of this run is charged for the attempt that worker may have been
	// running, so a step that keeps killing its worker exhausts its
	// retries instead of running forever.
	cutOff atomic.Bool
	// leaseLostSeen is set once the lost lease was reported to the
	// observer (observeLeaseLost).
	leaseLostSeen atomic.Bool

	mu       sync.Mutex
	steps    map[string]*store.Step
	events   []*store.Event
	consumed map[int64]bool
	// replayed indexes the loaded journal for the order checks (expect).
	replayed replayed
	// patches holds each patch's decision in this run (Patched).
	patches map[string]bool
	counts  map[string]int
	ordinal int
	comps   map[string]*compensation
	// pending holds journal records not yet committed: records queued to
	// go with the next commit (a sleep's or an event's entry, a custom
	// status), and those of commits that failed (the database was
	// unreachable past the committer's retries): the attempts they record
	// did run, so the next commit of this run, normally the release that
	// ends it, carries them and the step does not run again without a
	// trace.
	pending   store.Update
	stopCause error
	// cancelStatus is the custom status the workflow named with
	// CancelStatus, set on the instance when it ends cancelled.
	cancelStatus *string
	// leaseUntil is when this run's lease expires unless a heartbeat
	// renews it; past it the run must not start work (another worker may
	// own the instance).
	leaseUntil time.Time
	// slot is the concurrency limit whose slot this run holds
	// (acquireConcurrency), nil for none.
	slot *store.Limit
	// refusedBy are the limits whose concurrency refused a step of this
	// run (guarded by mu); nudgeLimits wakes their line once the run
	// stored its refusals.
	refusedBy []store.Limit

	inflight sync.WaitGroup
}

func newRun(e *Engine, inst *store.Instance, def Definition) *run {
	ctx, span := e.startRunSpan(inst)
	ctx, cancel := context.WithCancelCause(ctx)
	lease := e.clock.Now().Add(e.cfg.LeaseDuration)
	if inst.LeaseExpiresAt != nil {
		lease = *inst.LeaseExpiresAt
	}
	r := &run{
		e: e, inst: inst, def: def, ctx: ctx, cancel: cancel, span: span, leaseUntil: lease,
		steps: map[string]*store.Step{}, consumed: map[int64]bool{},
		counts: map[string]int{}, comps: map[string]*compensation{}, patches: map[string]bool{},
	}
	r.cutOff.Store(inst.LeaseExpired)
	return r
}

func (r *run) now() time.Time { return r.e.clock.Now() }

// abort cancels the run's context: running steps see it at once.
func (r *run) abort(cause error) {
	r.mu.Lock()
	if r.stopCause == nil {
		r.stopCause = cause
	}
	r.mu.Unlock()
	r.cancel(cause)
}

// observe applies what a heartbeat or control signal learned.
func (r *run) observe(held bool, status store.InstanceStatus) {
	switch {
	case !held:
		r.abort(errLeaseLost)
	case status == store.StatusTerminated:
		r.abort(errTerminated)
	case status == store.StatusQueued:
		// Queued while this run holds the lease: only a cancel does that
		// (store.ActionCancel). Stop now; the rollback runs on the next
		// claim.
		r.abort(errCancelled)
	case status == store.StatusPaused:
		r.setStop(errPaused)
	}
}

func (r *run) setStop(cause error) {
	r.mu.Lock()
	r.stopCauseLocked(cause)
	r.mu.Unlock()
}

func (r *run) stopCauseLocked(cause error) {
	if r.stopCause == nil {
		r.stopCause = cause
	}
}

func (r *run) stopReason() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopCause != nil {
		return r.stopCause
	}
	if r.ctx.Err() != nil {
		return context.Cause(r.ctx)
	}
	return nil
}

// extendLease records a renewed lease.
func (r *run) extendLease(until time.Time) {
	r.mu.Lock()
	if until.After(r.leaseUntil) {
		r.leaseUntil = until
	}
	r.mu.Unlock()
}

// checkLease aborts the run if its lease expired without renewal (the
// database was unreachable, or the process was frozen): another worker may
// already own the instance, so nothing more may run here.
func (r *run) checkLease(now time.Time) bool {
	r.mu.Lock()
	expired := !now.Before(r.leaseUntil)
	r.mu.Unlock()
	if expired {
		r.abort(errLeaseLost)
	}
	return !expired
}

// replayEnd is called on the workflow goroutine where the workflow would
// do new work (run or wait for a step): a run that rolls the instance back
// stops replaying there.
func (r *run) replayEnd() {
	if r.inst.Rollback != nil {
		panic(&rollbackSignal{})
	}
}

// checkStop is called on the workflow goroutine at every step boundary.
func (r *run) checkStop() {
	r.checkLease(r.now())
	if cause := r.stopReason(); cause != nil {
		panic(&stopSignal{cause: cause})
	}
}

func (r *run) logger() interface {
	Info(string, ...any)
	Warn(string, ...any)
	Error(string, ...any)
} {
	if sc := r.span.SpanContext(); sc.IsValid() {
		return r.e.log.With(LogKeyInstanceID, r.inst.ID, LogKeyWorkflow, r.inst.Workflow, LogKeyTraceID, sc.TraceID().String())
	}
	return r.e.log.With(LogKeyInstanceID, r.inst.ID, LogKeyWorkflow, r.inst.Workflow)
}

func (r *run) execute() {
	defer r.cancel(nil)
	defer r.nudgeLimits()
	j := &store.Journal{}
	var err error
	if !r.fresh {
		j, err = r.e.store.JournalLoad(context.Background(), r.inst.ID)
	}
	if err != nil {
		r.logger().Error("ordo: load journal", "err", err)
		_, _ = r.release(&store.StateChange{Status: store.StatusQueued})
		return
	}
	var slotWait *store.Step // the instance's wait for its concurrency slot
	for _, s := range j.Steps {
		if s.Kind == store.KindConcurrency {
			slotWait = s
			continue
		}
		r.steps[s.Key] = s
	}
	r.replayed = newReplayed(j.Steps)
	r.events = j.Events
	for _, ev := range j.Events {
		if ev.ConsumedBy != "" {
			r.consumed[ev.ID] = true
		}
	}
	// The concurrency slot is freed after the run's final commit.
	if !r.acquireConcurrency(slotWait) {
		return
	}
	defer r.releaseConcurrency()

	out, sig, wfErr := r.callWorkflow()
	if sig == nil && r.ctx.Err() == nil && r.stopReason() == nil {
		if nd := r.unvisited(); nd != nil {
			sig = &nonDeterminismSignal{err: nd}
		}
	}
	if nd, ok := sig.(*nonDeterminismSignal); ok {
		r.inflight.Wait()
		r.stopNonDeterministic(nd.err)
		return
	}
	if rb := r.inst.Rollback; rb != nil {
		r.rollback(rb, sig)
		return
	}
	if sig == nil && wfErr != nil && r.ctx.Err() != nil {
		// The error is the cancellation of a terminate or shutdown.
		sig = &stopSignal{cause: context.Cause(r.ctx)}
	}
	if sig == nil {
		if cause := r.stopReason(); cause != nil {
			sig = &stopSignal{cause: cause}
		}
	}
	r.inflight.Wait()
	if sig == nil && wfErr != nil {
		sig = r.compensate(errorInfo(wfErr), store.StatusErrored)
		if sig == nil {
			return
		}
	}
	r.unwind(sig, out)
}

// rollback ends a run that rolls the instance back: once the replay
// stopped (sig is a rollbackSignal, or nil when the workflow returned),
// the compensations still due run and the instance ends with rb.Status.
func (r *run) rollback(rb *store.Rollback, sig any) {
	switch sig.(type) {
	case nil, *rollbackSignal:
		sig = nil
		if cause := r.stopReason(); cause != nil {
			sig = &stopSignal{cause: cause}
		}
	}
	r.inflight.Wait()
	if sig == nil {
		cause := store.ErrorInfo{Message: "rolled back", Kind: store.ErrorKindWorkflow}
		if rb.Cause != nil {
			cause = *rb.Cause
		}
		if sig = r.compensate(&cause, rb.Status); sig == nil {
			return
		}
	}
	r.unwind(sig, nil)
}

// unwind ends a run per the signal that unwound the workflow (nil: it
// returned out).
func (r *run) unwind(sig any, out json.RawMessage) {
	switch s := sig.(type) {
	case *suspendSignal:
		r.suspend(s)
	case *stopSignal:
		r.stop(s.cause)
	default:
		if err := r.e.checkPayload("workflow output", out); err != nil {
			r.fail(NonRetryable(err), nil)
			return
		}
		r.finish(&store.StateChange{Status: store.StatusComplete, Output: out})
	}
}

func (r *run) callWorkflow() (out json.RawMessage, sig any, err error) {
	defer func() {
		if p := recover(); p != nil {
			switch p.(type) {
			case *suspendSignal, *stopSignal, *rollbackSignal, *nonDeterminismSignal:
				sig = p
			default:
				err = &PanicError{Value: p, Stack: string(debug.Stack())}
				r.logger().Error("ordo: workflow panicked", "panic", p, "stack", string(debug.Stack()))
			}
		}
	}()
	out, err = r.def.execute(withRun(r.ctx, r), r.inst.Params)
	return out, nil, err
}

// suspend stores the instance as waiting until its earliest due time.
func (r *run) suspend(s *suspendSignal) {
	wake := s.wakeAt
	r.mu.Lock()
	for _, st := range r.steps {
		var at *time.Time
		switch st.Status {
		case store.StepRetrying:
			at = st.NextAttemptAt
		case store.StepWaiting:
			at = st.WakeAt
		}
		if st.CompensationStatus == store.CompRetrying {
			at = st.CompensationNextAt
		}
		if at != nil && (wake == nil || at.Before(*wake)) {
			wake = at
		}
	}
	r.mu.Unlock()
	if _, err := r.release(&store.StateChange{Status: store.StatusWaiting, WakeAt: wake, AwaitEvents: s.await, AwaitMatch: s.awaitMatch}); err == nil {
		switch {
		case len(s.await) > 0 || len(s.awaitMatch) > 0:
			// The store makes the instance due at once if an awaited event
			// arrived meanwhile; look.
			r.e.worker.notify()
		case wake != nil:
			r.e.worker.wakeHint(*wake)
		}
	}
}

// stop ends the run without finishing the instance.
func (r *run) stop(cause error) {
	switch {
	case errors.Is(cause, errLeaseLost):
		r.observeLeaseLost()
		r.logger().Warn("ordo: lease lost; another worker owns the instance")
	case errors.Is(cause, errShutdown):
		_, _ = r.release(&store.StateChange{Status: store.StatusQueued})
	case errors.Is(cause, errPaused), errors.Is(cause, errTerminated):
		_, _ = r.release(nil) // keep the status the operator set
	case errors.Is(cause, errCancelled):
		// Keep the status: queued, with the rollback a claim runs.
		if _, err := r.release(nil); err == nil {
			r.e.worker.notify()
		}
	default:
		// A commit failed: the release carries what it did not record
		// (r.pending), and the instance is picked up again.
		r.logger().Warn("ordo: could not record the run's progress; releasing the instance with it", "err", cause)
		_, _ = r.release(nil)
	}
}

func (r *run) finish(state *store.StateChange) {
	notify := store.ChildEndNotify(r.inst, state.Status, state.Output, state.Error, r.now())
	res, err := r.releaseWith(&store.Update{State: state, Release: true, Notify: notify})
	if err == nil && len(notify) > 0 {
		r.e.worker.notify() // the parent may be due
	}
	if err != nil || res.Status != state.Status {
		return
	}
	r.e.observeFinish(r.inst.ID, r.inst.Workflow, state.Status)
	if r.e.cfg.OnFinish != nil {
		r.e.cfg.OnFinish(r.inst.ID, state.Status)
	}
}

// fail ends the instance errored (compensations, if any, already ran).
func (r *run) fail(cause error, compFailures []store.ErrorInfo) {
	ei := errorInfo(cause)
	ei.Compensations = compFailures
	r.finish(&store.StateChange{Status: store.StatusErrored, Error: ei})
}

// finishRollback ends the instance with status (errored or cancelled) and
// error ei once compensations ran; a cancelled one gets the custom status
// the workflow named with CancelStatus, if any.
func (r *run) finishRollback(status store.InstanceStatus, ei *store.ErrorInfo) {
	if status == store.StatusCancelled {
		r.mu.Lock()
		if cs := r.cancelStatus; cs != nil {
			r.pending.CustomStatus = cs
		}
		r.mu.Unlock()
	}
	r.finish(&store.StateChange{Status: status, Error: ei})
}

// release writes the final update of this run and gives up the lease. It
// logs its own error, so callers with nothing else to do ignore it.
func (r *run) release(state *store.StateChange) (store.UpdateResult, error) {
	return r.releaseWith(&store.Update{State: state, Release: true})
}

// releaseWith writes upd, the final update of this run (Release set).
func (r *run) releaseWith(upd *store.Update) (store.UpdateResult, error) {
	res, err := r.commit(upd)
	r.e.released.broadcast()
	r.traceRelease(upd.State, res, err)
	if err != nil && !errors.Is(err, errLeaseLost) {
		r.logger().Error("ordo: release instance", "err", err)
	}
	return res, err
}

// releaseUnknown hands back an instance whose workflow is not registered
// here (claims filter by name, so this only happens on a race with code
// changes).
func (r *run) releaseUnknown() {
	_, _ = r.release(&store.StateChange{Status: store.StatusQueued})
}

// commit writes an update for this instance together with pending journal
// records, and learns whether the instance is still ours and running.
func (r *run) commit(upd *store.Update) (store.UpdateResult, error) {
	r.mu.Lock()
	upd.InstanceID = r.inst.ID
	upd.LeaseToken = r.inst.LeaseToken
	upd.Now = r.now()
	mergeOlder(upd, &r.pending)
	r.pending = store.Update{}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := r.e.committer.commit(ctx, upd)
	if err != nil {
		r.mu.Lock()
		// Records queued since are newer than the failed ones.
		mergeOlder(&r.pending, &store.Update{Steps: upd.Steps, Attempts: upd.Attempts,
			ConsumeEvents: upd.ConsumeEvents, CustomStatus: upd.CustomStatus})
		r.stopCauseLocked(err)
		r.mu.Unlock()
		return res, err
	}
	if errors.Is(res.Err, store.ErrLeaseLost) {
		r.observeLeaseLost()
		r.setStop(errLeaseLost)
		return res, errLeaseLost
	}
	switch res.Status {
	case store.StatusPaused:
		r.setStop(errPaused)
	case store.StatusTerminated:
		r.abort(errTerminated)
	case store.StatusQueued:
		if !upd.Release {
			r.abort(errCancelled) // see observe
		}
	}
	return res, nil
}

// record stores a journal entry in memory after it was committed (or queued
// as pending).
func (r *run) record(s *store.Step) {
	r.mu.Lock()
	r.steps[s.Key] = s
	r.mu.Unlock()
}

func (r *run) addPending(s *store.Step) {
	r.mu.Lock()
	r.steps[s.Key] = s
	r.pending.Steps = append(r.pending.Steps, s)
	r.mu.Unlock()
}

// nextCall assigns the key and ordinal of the next step call.
func (r *run) nextCall(name string) (key string, seq, ordinal int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[name]++
	seq = r.counts[name]
	ordinal = r.ordinal
	r.ordinal++
	return fmt.Sprintf("%s#%d", name, seq), seq, ordinal
}

func (r *run) lookup(key string) *store.Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.steps[key]
}

// completedCompensable lists completed steps with a compensation, newest
// (highest ordinal) first.
func (r *run) completedCompensable() []*store.Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*store.Step
	for _, s := range r.steps {
		if s.HasCompensation && s.Status == store.StepCompleted {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ordinal > out[j].Ordinal })
	return out
}

func errorInfo(err error) *store.ErrorInfo {
	var se *StepError
	switch {
	case errors.As(err, &se):
		kind := se.Kind
		if kind == "" {
			kind = ErrorKindStep
		}
		return &store.ErrorInfo{Message: err.Error(), Kind: kind, Step: se.Step}
	case errors.As(err, new(*PanicError)):
		return &store.ErrorInfo{Message: err.Error(), Kind: store.ErrorKindPanic}
	case errors.Is(err, ErrEventTimeout):
		return &store.ErrorInfo{Message: err.Error(), Kind: store.ErrorKindTimeout}
	}
	return &store.ErrorInfo{Message: err.Error(), Kind: store.ErrorKindWorkflow}
}

// mergeOlder puts the journal records of older before upd's own. A step in
// both keeps upd's newer row (a step is upserted whole: one row per key and
// update), as does the custom status; attempts and event consumptions are
// all kept.
func mergeOlder(upd, older *store.Update) {
	switch {
	case len(older.Steps) == 0:
	case len(upd.Steps) == 0:
		upd.Steps = older.Steps
	default:
		newer := make(map[string]bool, len(upd.Steps))
		for _, s := range upd.Steps {
			newer[s.Key] = true
		}
		steps := make([]*store.Step, 0, len(older.Steps)+len(upd.Steps))
		for _, s := range older.Steps {
			if !newer[s.Key] {
				steps = append(steps, s)
			}
		}
		upd.Steps = append(steps, upd.Steps...)
	}
	if len(older.Attempts) > 0 {
		upd.Attempts = append(slices.Clone(older.Attempts), upd.Attempts...)
	}
	if len(older.ConsumeEvents) > 0 {
		upd.ConsumeEvents = append(slices.Clone(older.ConsumeEvents), upd.ConsumeEvents...)
	}
	if upd.CustomStatus == nil {
		upd.CustomStatus = older.CustomStatus
	}
}
