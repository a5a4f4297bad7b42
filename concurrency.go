package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/ordohq/ordo/store"
)

// Concurrency caps how many instances of a workflow run at once per key
// (WithConcurrency): at most Limit instances whose Key returns the same
// string run at a time, across every engine on the store; the others wait,
// oldest first, without holding a worker slot.
//
// An instance holds its key's slot while it RUNS, that is while a worker
// has claimed it under a live lease, as Inngest's concurrency does: from
// the start of each run (before the workflow function replays) until the
// run ends. An instance that sleeps, waits for an event, a child, a retry
// delay or a limit releases its lease, so it frees its slot and takes one
// again when it wakes, possibly after other instances of its key ran. So
// "one payment in flight per customer" holds for the work between two
// durable waits: put the whole critical section (charge and record) in
// one stretch without Sleep or WaitForEvent, or accept that a sleeping
// instance lets another of its key run. A rollback (cancel) also runs
// under the slot: compensations are running work. A worker that dies
// holding a slot gives it back when the lease expires
// (Config.LeaseDuration).
//
// An instance refused a slot is stored waiting, and its workflow function
// does not run; a run that ends wakes the oldest waiter of its key at
// once, and every waiter looks again at the latest after
// Config.LimitRecheck. Waiters are served in order (see Limit): one
// arriving while a woken waiter is being claimed waits behind it.
type Concurrency[In any] struct {
	// Key returns the instance's key from its params ("customer-42"); at
	// most store.MaxConcurrencyKeyLen (256) bytes. nil: one key shared by
	// every instance of the workflow. A Key that panics or returns a
	// longer key fails the instance (non-retryable) before its workflow
	// function runs.
	Key func(in In) string
	// Limit is how many instances of one key run at once, 1 to
	// store.MaxLimitConcurrency (10000). Required.
	Limit int
}

// WithConcurrency caps the instances of w that run at once per key (see
// Concurrency). An invalid c makes Register fail with ErrInvalidArgument;
// so does a store without store.LimitStore. It replaces an earlier
// WithConcurrency or WithConcurrencyFunc and returns w.
func (w *Workflow[In, Out]) WithConcurrency(c Concurrency[In]) *Workflow[In, Out] {
	key := c.Key
	w.concurrency = &concurrencyRule[In]{static: true, limit: c.Limit,
		resolve: func(_ context.Context, in In) (string, int, error) {
			if key == nil {
				return "", c.Limit, nil
			}
			return key(in), c.Limit, nil
		}}
	return w
}

// WithConcurrencyFunc is WithConcurrency for a limit that depends on the
// params (a flow runner whose every flow document may set its own): fn
// returns the instance's key and its limit, 1 to store.MaxLimitConcurrency,
// or 0 for none. Every instance of one key should get the same limit; the
// limit an acquirer passes is the one applied. fn is called at the start
// of every run, so it must give the same answer for the same params. A
// panic, a limit out of range, a key over store.MaxConcurrencyKeyLen bytes
// or an error marked NonRetryable fails the instance before its workflow
// function runs; another error ends the run, and the instance tries again
// after Config.LimitRecheck. It replaces an earlier WithConcurrency and
// returns w.
func (w *Workflow[In, Out]) WithConcurrencyFunc(fn func(ctx context.Context, in In) (key string, limit int, err error)) *Workflow[In, Out] {
	w.concurrency = &concurrencyRule[In]{resolve: fn}
	return w
}

// concurrencyRule is a workflow's Concurrency, as WithConcurrency or
// WithConcurrencyFunc set it.
type concurrencyRule[In any] struct {
	// static marks WithConcurrency, whose limit Register checks.
	static bool
	limit  int
	// resolve gives an instance's key and limit.
	resolve func(ctx context.Context, in In) (key string, limit int, err error)
}

func (w *Workflow[In, Out]) concurrencyCheck(limits bool) error {
	c := w.concurrency
	switch {
	case c == nil:
		return nil
	case !limits:
		return fmt.Errorf("%w: workflow %q: concurrency needs a store with named limits (store.LimitStore)", ErrInvalidArgument, w.name)
	case c.resolve == nil:
		return fmt.Errorf("%w: workflow %q: WithConcurrencyFunc needs a function", ErrInvalidArgument, w.name)
	case c.static && (c.limit < 1 || c.limit > store.MaxLimitConcurrency):
		return fmt.Errorf("%w: workflow %q: Concurrency.Limit %d is not in 1..%d", ErrInvalidArgument, w.name,
			c.limit, store.MaxLimitConcurrency)
	}
	return nil
}

// concurrencyOf returns the key and limit an instance with params runs
// under, a nil limit for none, or the error that ends the run (one marked
// NonRetryable fails the instance).
func (w *Workflow[In, Out]) concurrencyOf(ctx context.Context, params json.RawMessage) (key string, l *store.Limit, err error) {
	if w.concurrency == nil {
		return "", nil, nil
	}
	fail := func(err error) error {
		return NonRetryable(fmt.Errorf("workflow %q: concurrency key: %w", w.name, err))
	}
	in, err := decodeIn[In](params)
	if err != nil {
		return "", nil, fail(fmt.Errorf("decode params: %w", err))
	}
	defer func() {
		if p := recover(); p != nil {
			key, l, err = "", nil, fail(&PanicError{Value: p, Stack: string(debug.Stack())})
		}
	}()
	key, limit, err := w.concurrency.resolve(ctx, in)
	switch {
	case err != nil && IsNonRetryable(err):
		return "", nil, fail(err)
	case err != nil:
		return "", nil, fmt.Errorf("workflow %q: concurrency key: %w", w.name, err)
	case limit == 0 && !w.concurrency.static:
		return "", nil, nil
	case limit < 1 || limit > store.MaxLimitConcurrency:
		return "", nil, fail(fmt.Errorf("limit %d is not in 1..%d", limit, store.MaxLimitConcurrency))
	case len(key) > store.MaxConcurrencyKeyLen:
		return "", nil, fail(fmt.Errorf("key of %d bytes is longer than %d", len(key), store.MaxConcurrencyKeyLen))
	}
	return key, &store.Limit{Name: store.WorkflowLimitName(w.name, key), Concurrency: limit}, nil
}

// ConcurrencyWaitStatus describes an instance's wait for its concurrency
// slot, the CustomStatus of its store.KindConcurrency journal entry while
// it waits: "waiting for concurrency slot: workflow payment, key
// customer-42 (1 at once)"; an empty key is left out.
//
// The wait is a journal entry rather than the instance's custom status,
// which belongs to the workflow (an order's status) and must not be
// overwritten, and rather than a new instance column, so that no claim or
// commit statement changes: the entry goes with the release that stores
// the instance waiting, and the dashboard's timeline, the API's instance
// JSON (its steps) and ordo instances describe show it as they show the
// journal; the entry is completed when the slot is granted, so the
// timeline shows how long the instance waited.
func ConcurrencyWaitStatus(workflow, key string, limit int) string {
	if key == "" {
		return fmt.Sprintf("waiting for concurrency slot: workflow %s (%d at once)", workflow, limit)
	}
	return fmt.Sprintf("waiting for concurrency slot: workflow %s, key %s (%d at once)", workflow, key, limit)
}

// acquireConcurrency takes the slot of the instance's concurrency key, if
// its workflow has one, before the run replays; wait is the instance's
// journal entry of an earlier wait, if any. It reports whether the run
// goes on; if not, it ended the run (released the instance waiting for
// the slot, failed it, or stopped). Granted, it sets r.slot, which
// releaseConcurrency frees when the run ended.
func (r *run) acquireConcurrency(wait *store.Step) bool {
	key, l, err := r.def.concurrencyOf(r.ctx, r.inst.Params)
	switch {
	case err != nil && IsNonRetryable(err):
		r.logger().Error("ordo: concurrency key failed; failing the instance", "err", err)
		r.fail(err, nil)
		return false
	case err != nil:
		wake := r.now().Add(r.e.cfg.LimitRecheck)
		r.logger().Warn("ordo: concurrency key failed; the instance tries again", "err", err, "retry_at", wake)
		_, _ = r.release(&store.StateChange{Status: store.StatusWaiting, WakeAt: &wake})
		return false
	}
	if l == nil {
		return true
	}
	ls := r.e.store.(store.LimitStore) // checked by Register
	ctx, cancel := context.WithTimeout(r.ctx, time.Minute)
	defer cancel()
	g, err := ls.LimitAcquire(ctx, &store.LimitAcquireParams{Limit: *l, InstanceID: r.inst.ID,
		StepKey: store.ConcurrencySlotKey, LeaseToken: r.inst.LeaseToken, Now: r.now(), Recheck: r.e.cfg.LimitRecheck})
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		r.stop(errLeaseLost)
		return false
	case err != nil:
		if cause := r.stopReason(); cause != nil {
			r.stop(cause)
			return false
		}
		wake := r.now().Add(r.e.cfg.LimitRecheck)
		r.logger().Warn("ordo: could not take the concurrency slot; the instance tries again", "err", err, "retry_at", wake)
		_, _ = r.release(&store.StateChange{Status: store.StatusWaiting, WakeAt: &wake})
		return false
	case !g.Granted:
		r.refused(l, g)
		wake := g.RetryAt
		r.logger().Info("ordo: instance waits for its concurrency slot", "limit", l.Name, "key", key, "retry_at", wake)
		entry := r.slotWaitEntry(wait, ConcurrencyWaitStatus(r.inst.Workflow, key, l.Concurrency), wake)
		if r.cutOff.Load() || waitCutOff(wait) {
			// The run that takes the slot charges the attempt the dead
			// worker was running (run.cutOff); the claim's LeaseExpired is
			// not stored, so the wait entry carries it until then.
			entry.Output = cutOffPending
		}
		if _, err := r.releaseWith(&store.Update{Steps: []*store.Step{entry}, Release: true,
			State: &store.StateChange{Status: store.StatusWaiting, WakeAt: &wake}}); err == nil {
			r.e.worker.wakeHint(wake)
		}
		return false
	}
	r.slot = l
	if waitCutOff(wait) {
		r.cutOff.Store(true)
	}
	if wait != nil && wait.Status == store.StepWaiting {
		done := *wait
		now := r.now()
		done.History, done.Status, done.WakeAt, done.FinishedAt, done.CustomStatus = nil, store.StepCompleted, nil, &now, ""
		done.Output = nil
		r.mu.Lock()
		r.pending.Steps = append(r.pending.Steps, &done) // goes with the run's next commit
		r.mu.Unlock()
	}
	return true
}

// cutOffPending is the Output of a concurrency wait entry whose instance
// was taken over from a dead worker (store.Instance.LeaseExpired) and
// refused its slot: the run that gets the slot charges the cut-off
// attempt, as the refused run would have.
var cutOffPending = json.RawMessage(`{"cutOff":true}`)

// waitCutOff reports whether the concurrency wait entry w carries a
// cut-off charge still to make (cutOffPending).
func waitCutOff(w *store.Step) bool {
	if w == nil || w.Status != store.StepWaiting || len(w.Output) == 0 {
		return false
	}
	var v struct {
		CutOff bool `json:"cutOff"`
	}
	return json.Unmarshal(w.Output, &v) == nil && v.CutOff
}

// slotWaitEntry is the instance's store.KindConcurrency journal entry
// while it waits for its slot until wake: prev's, if it waited already,
// with one more try.
func (r *run) slotWaitEntry(prev *store.Step, status string, wake time.Time) *store.Step {
	st := &store.Step{InstanceID: r.inst.ID, Key: store.ConcurrencyWaitKey, Name: "concurrency",
		Ordinal: r.replayed.last + 1, Kind: store.KindConcurrency, StartedAt: r.now()}
	if prev != nil && prev.Status == store.StepWaiting {
		st.StartedAt, st.Ordinal, st.Attempts = prev.StartedAt, prev.Ordinal, prev.Attempts
	}
	st.Status, st.WakeAt, st.CustomStatus = store.StepWaiting, &wake, status
	st.Attempts++
	return st
}

// releaseConcurrency frees the run's concurrency slot after the run's
// final commit released the lease (which freed it already; this wakes the
// oldest waiter at once). A failure only costs the waiters their recheck.
func (r *run) releaseConcurrency() {
	if r.slot == nil {
		return
	}
	ls := r.e.store.(store.LimitStore)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	woke, err := ls.LimitRelease(ctx, &store.LimitReleaseParams{Limit: r.slot.Name, InstanceID: r.inst.ID,
		StepKey: store.ConcurrencySlotKey, LeaseToken: r.inst.LeaseToken, Now: r.now(), Concurrency: r.slot.Concurrency})
	if err != nil {
		r.logger().Warn("ordo: releasing the concurrency slot failed; its waiters wait for their recheck", "limit", r.slot.Name, "err", err)
		return
	}
	if woke {
		r.e.worker.notify()
	}
}
