package ordo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/ordohq/ordo/store"
)

// Reasons a run stops without finishing; they never reach storage as
// workflow errors.
var (
	errShutdown   = errors.New("engine shutting down")
	errLeaseLost  = errors.New("lease lost to another worker")
	errPaused     = errors.New("instance paused")
	errTerminated = errors.New("instance terminated")
	errCancelled  = errors.New("instance cancelled")
)

// worker claims runnable instances and runs each in its own goroutine, up to
// Config.Concurrency at once; it renews their leases and releases them on
// shutdown.
type worker struct {
	e    *Engine
	wake chan struct{}

	mu        sync.Mutex
	runs      map[string]*run // by lease token
	reserved  int             // slots Create reserved for instances it claims itself
	saturated bool            // the last claim filled every slot or the batch: more work may wait
	// backlog: the last claim took as many instances as it asked for, so
	// more runnable ones may wait in the store; Create then leaves its
	// instance queued behind them (reserve).
	backlog   bool
	plannedAt time.Time // when the idle claim loop will look again; zero while it is not idle
	// claimRetryAt is when the claim loop tries again after a failed
	// claim; nil while it does not wait for that.
	claimRetryAt atomic.Pointer[time.Time]
	started      bool
	stopped      bool
	stopClaims   context.CancelFunc
	stopHB       context.CancelFunc
	loopDone     chan struct{}
	hbDone       chan struct{}
	runsWG       sync.WaitGroup
}

func newWorker(e *Engine) *worker {
	return &worker{e: e, wake: make(chan struct{}, 1), runs: map[string]*run{}}
}

// notify makes an idle claim loop look for work at once.
func (w *worker) notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return errors.New("ordo: engine already started")
	}
	if w.stopped {
		return errors.New("ordo: engine was stopped; create a new one")
	}
	w.started = true
	base := context.WithoutCancel(ctx)
	claimCtx, stopClaims := context.WithCancel(base)
	hbCtx, stopHB := context.WithCancel(base)
	w.stopClaims, w.stopHB = stopClaims, stopHB
	w.loopDone = make(chan struct{})
	w.hbDone = make(chan struct{})
	w.e.committer.start()
	go w.claimLoop(claimCtx)
	go w.heartbeatLoop(hbCtx)
	if wk, ok := w.e.store.(store.Waker); ok {
		ch, err := wk.Wakeups(claimCtx)
		if err != nil {
			w.e.log.Warn("ordo: store wake-ups unavailable; polling only", "err", err)
		} else {
			go func() {
				for range ch {
					w.notify()
				}
			}()
		}
	}
	w.e.log.Info("ordo: engine started", "worker", w.e.cfg.WorkerID, "concurrency", w.e.cfg.Concurrency)
	return nil
}

func (w *worker) stop(ctx context.Context) error {
	w.mu.Lock()
	if !w.started || w.stopped {
		w.stopped = true
		w.mu.Unlock()
		w.e.committer.close()
		return nil
	}
	w.stopped = true
	w.mu.Unlock()

	// 1. Stop claiming; heartbeats go on while runs drain.
	w.stopClaims()
	<-w.loopDone
	// 2. Wait for running instances until ctx is done.
	done := make(chan struct{})
	go func() { w.runsWG.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		// 3. Cancel what still runs; each run releases its lease.
		w.mu.Lock()
		for _, r := range w.runs {
			r.abort(errShutdown)
		}
		w.mu.Unlock()
		<-done
		err = fmt.Errorf("ordo: stop deadline passed, running steps were cancelled: %w", ctx.Err())
	}
	w.stopHB()
	<-w.hbDone
	w.e.committer.close()
	w.e.log.Info("ordo: engine stopped", "worker", w.e.cfg.WorkerID)
	return err
}

func (w *worker) running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started || w.stopped {
		return false
	}
	select {
	case <-w.loopDone:
		return false
	default:
		return true
	}
}

func (w *worker) active() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.runs) + w.reserved
}

// reserve takes a free slot for an instance that Create will claim itself;
// it returns the lease token to use. It fails when the engine is not
// running, all slots are busy, or the last claim left runnable instances
// in the store: a slot that frees up then goes to them, in the claim's
// order (priority, then due or created time), not to whichever create
// comes first. A burst of new orders does not starve the instances
// waking from a sleep or an event, nor a create of higher priority.
func (w *worker) reserve() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started || w.stopped || w.backlog || len(w.runs)+w.reserved >= w.e.cfg.Concurrency {
		return "", false
	}
	w.reserved++
	return uuid.NewString(), true
}

func (w *worker) unreserve() {
	w.mu.Lock()
	w.reserved--
	w.mu.Unlock()
	w.notify()
}

func (w *worker) claimLoop(ctx context.Context) {
	defer close(w.loopDone)
	w.e.logOrphans(ctx)
	cfg := &w.e.cfg
	backoff := 50 * time.Millisecond
	for {
		if ctx.Err() != nil {
			return
		}
		free := cfg.Concurrency - w.active()
		names := w.e.workflowNames()
		claimedAll := false
		if w.isSaturated() && free > 0 && free < w.minClaim() {
			w.gather(ctx, 2*time.Millisecond)
			free = cfg.Concurrency - w.active()
		}
		if free > 0 && len(names) > 0 {
			limit := min(free, 64)
			now := w.e.clock.Now()
			insts, err := w.e.store.InstanceClaim(ctx, &store.ClaimParams{
				Owner: cfg.WorkerID, Limit: limit, Now: now,
				LeaseUntil: now.Add(cfg.LeaseDuration), Workflows: names,
				Versions: cfg.claimVersions(), Version: cfg.Version,
			})
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				w.e.log.Error("ordo: claim failed", "err", err, "retry_in", backoff)
				w.sleepUntil(ctx, now.Add(backoff))
				backoff = min(backoff*2, 5*time.Second)
				continue
			}
			backoff = 50 * time.Millisecond
			for _, inst := range insts {
				w.launch(inst)
			}
			claimedAll = len(insts) == limit
		}
		w.mu.Lock()
		if free > 0 && len(names) > 0 {
			w.backlog = claimedAll
		}
		w.saturated = claimedAll || free <= 0
		w.mu.Unlock()
		if claimedAll {
			continue
		}
		w.idle(ctx, free > 0)
	}
}

func (w *worker) isSaturated() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.saturated
}

// minClaim is how many free slots a saturated engine waits for (briefly)
// before it claims again.
func (w *worker) minClaim() int { return max(1, w.e.cfg.Concurrency/8) }

// gather waits, while the engine is saturated, until minClaim slots are
// free, d passes on the engine's clock or ctx ends: slots free up one by
// one as runs end, and a claim is a write transaction, so a few are
// claimed at once. Each ending run notifies the worker.
func (w *worker) gather(ctx context.Context, d time.Duration) {
	t := w.e.clock.NewTimer(d)
	defer t.Stop()
	for w.e.cfg.Concurrency-w.active() < w.minClaim() {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			return
		case <-w.wake:
		}
	}
}

// idle waits for a notification, the poll interval or the next due timer.
//
// The wait ends at a time read once (deadline), with a timer for that
// time (newTimerAt): a virtual clock, ordotest's, is set ahead to the due
// wake-up by another goroutine, and a timer of the whole wait made after
// that would fire late, at a time that clock is never set to.
func (w *worker) idle(ctx context.Context, checkTimers bool) {
	wait := w.e.cfg.PollInterval
	now := w.e.clock.Now()
	if checkTimers {
		if at, ok, err := w.e.store.NextWakeAt(ctx); err == nil && ok {
			if d := at.Sub(now); d < wait {
				wait = max(d, 0)
			}
		}
	}
	if wait == 0 {
		return
	}
	deadline := now.Add(wait)
	w.mu.Lock()
	w.plannedAt = deadline
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.plannedAt = time.Time{} // looking now; a hint until the next idle must notify
		w.mu.Unlock()
	}()
	t := newTimerAt(w.e.clock, deadline)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-t.C():
	}
}

// sleepUntil waits, after a failed claim, until at on the engine's clock
// (reported meanwhile by claimRetry) or ctx ends.
func (w *worker) sleepUntil(ctx context.Context, at time.Time) {
	w.claimRetryAt.Store(&at)
	defer w.claimRetryAt.Store(nil)
	t := newTimerAt(w.e.clock, at)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}

// claimRetry reports when the claim loop tries again after a failed claim,
// if it waits for that.
func (w *worker) claimRetry() (time.Time, bool) {
	if at := w.claimRetryAt.Load(); at != nil {
		return *at, true
	}
	return time.Time{}, false
}

// launchFresh runs an instance that Create just inserted already claimed:
// its journal is empty, so it is not loaded.
func (w *worker) launchFresh(inst *store.Instance) {
	w.mu.Lock()
	w.reserved--
	w.mu.Unlock()
	w.start1(inst, true)
}

// launch runs a claimed instance. One claimed for the first time has
// recorded no step yet, so its journal is not loaded either (an event sent
// before it started wakes it again through the store's AwaitEvents rule).
func (w *worker) launch(inst *store.Instance) { w.start1(inst, inst.Claims == 1) }

func (w *worker) start1(inst *store.Instance, fresh bool) {
	def, ok := w.e.workflow(inst.Workflow)
	r := newRun(w.e, inst, def)
	r.fresh = fresh
	w.mu.Lock()
	if w.stopped && fresh {
		// Stop began between Create's commit and here: hand it back.
		w.mu.Unlock()
		_, _ = r.release(&store.StateChange{Status: store.StatusQueued})
		r.span.End()
		return
	}
	w.runs[inst.LeaseToken] = r
	w.runsWG.Add(1)
	w.mu.Unlock()
	if ok {
		w.e.observeClaim(inst)
	}
	go func() {
		defer w.runsWG.Done()
		defer r.span.End()
		defer func() {
			w.mu.Lock()
			delete(w.runs, inst.LeaseToken)
			saturated := w.saturated
			w.mu.Unlock()
			if saturated {
				w.notify() // a slot is free and work may be queued
			}
		}()
		if !ok {
			r.releaseUnknown()
			return
		}
		r.execute()
	}()
}

// wakeHint makes the idle claim loop look again before at, if it planned to
// look later (a run just stored a wake-up time).
func (w *worker) wakeHint(at time.Time) {
	w.mu.Lock()
	// Zero: the loop is not idle (it may have read the next wake time
	// before this one was stored), so it must look again.
	later := w.plannedAt.IsZero() || at.Before(w.plannedAt)
	w.mu.Unlock()
	if later {
		w.notify()
	}
}

// signalControl tells a local run that an operator acted on its instance, so
// a terminate cancels a running step at once instead of at the next
// heartbeat.
func (w *worker) signalControl(id string) {
	w.mu.Lock()
	var target *run
	for _, r := range w.runs {
		if r.inst.ID == id {
			target = r
		}
	}
	w.mu.Unlock()
	if target == nil {
		return
	}
	inst, err := w.e.store.InstanceGet(context.Background(), id)
	if err != nil {
		return
	}
	target.observe(inst.LeaseToken == target.inst.LeaseToken, inst.Status)
}

func (w *worker) heartbeatLoop(ctx context.Context) {
	defer close(w.hbDone)
	for {
		t := w.e.clock.NewTimer(w.e.cfg.HeartbeatInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		w.heartbeat(ctx)
	}
}

func (w *worker) heartbeat(ctx context.Context) {
	w.mu.Lock()
	tokens := make([]string, 0, len(w.runs))
	runs := make([]*run, 0, len(w.runs))
	for tok, r := range w.runs {
		tokens = append(tokens, tok)
		runs = append(runs, r)
	}
	w.mu.Unlock()
	if len(tokens) == 0 {
		return
	}
	now := w.e.clock.Now()
	until := now.Add(w.e.cfg.LeaseDuration)
	res, err := w.e.store.InstanceHeartbeat(ctx, &store.HeartbeatParams{Tokens: tokens, LeaseUntil: until, Now: now})
	if err != nil {
		w.e.log.Warn("ordo: heartbeat failed", "err", err)
	}
	for _, hr := range res {
		w.mu.Lock()
		r := w.runs[hr.Token]
		w.mu.Unlock()
		if r == nil {
			continue
		}
		if hr.Held {
			r.extendLease(until)
		}
		r.observe(hr.Held, hr.Status)
	}
	// Runs whose lease ran out unrenewed stop here and now.
	now = w.e.clock.Now()
	for _, r := range runs {
		r.checkLease(now)
	}
}
