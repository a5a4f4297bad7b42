package ordo

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordohq/ordo/store"
)

// committer is the group commit: updates from all running instances queue
// here and are written in batches, one transaction per batch. A caller
// waits for its own update to be durable, so a step's result is stored
// before the workflow moves past it, yet many instances share one fsync.
// On a store with one writer a single goroutine writes one batch at a
// time; on a store.ParallelCommitter up to lanes batches are in flight at
// once (lanes.go), so an update that arrives while one commits need not
// wait for it.
type committer struct {
	st       store.Store
	maxBatch int
	lanes    int
	log      *slog.Logger
	clock    Clock
	retryFor time.Duration // how long a failing batch is retried, on clock
	// retryAt holds, per lane, when its failed batch is tried again; nil
	// when none waits.
	retryAt []atomic.Pointer[time.Time]
	obs     Observer

	reqs    chan *commitReq
	mu      sync.Mutex
	started bool
	closed  bool
	done    chan struct{}
	// stopping is closed by close: a failed batch is then not retried
	// (the runs' leases expire and the instances are picked up again).
	stopping chan struct{}
}

type commitReq struct {
	upd *store.Update
	res chan commitRes
}

type commitRes struct {
	r   store.UpdateResult
	err error
}

func newCommitter(st store.Store, maxBatch int, clock Clock, retryFor time.Duration, log *slog.Logger, obs Observer) *committer {
	lanes := 1
	if pc, ok := st.(store.ParallelCommitter); ok {
		lanes = max(1, pc.CommitLanes())
	}
	return &committer{st: st, maxBatch: maxBatch, lanes: lanes, clock: clock, retryFor: retryFor, log: log, obs: obs,
		retryAt: make([]atomic.Pointer[time.Time], lanes),
		reqs:    make(chan *commitReq, 4*maxBatch), done: make(chan struct{}), stopping: make(chan struct{})}
}

// pendingRetry reports when a failed batch is tried again, if one waits:
// the earliest of the lanes'.
func (c *committer) pendingRetry() (time.Time, bool) {
	var (
		next time.Time
		ok   bool
	)
	for i := range c.retryAt {
		if at := c.retryAt[i].Load(); at != nil && (!ok || at.Before(next)) {
			next, ok = *at, true
		}
	}
	return next, ok
}

// pause waits d on the engine's clock before lane's batch is tried again.
// It returns false at once when the committer is closing.
func (c *committer) pause(lane int, d time.Duration) bool {
	at := c.clock.Now().Add(d)
	t := newTimerAt(c.clock, at) // at is what pendingRetry tells; a clock set to it fires this timer
	defer t.Stop()
	c.retryAt[lane].Store(&at)
	defer c.retryAt[lane].Store(nil)
	select {
	case <-t.C():
		return true
	case <-c.stopping:
		return false
	}
}

// storeCommit is Store.Commit, observed. The duration is real time, not
// the engine's clock: it measures the database.
func (c *committer) storeCommit(ctx context.Context, upds []*store.Update) ([]store.UpdateResult, error) {
	begin := time.Now()
	res, err := c.st.Commit(ctx, upds)
	c.obs.ObserveCommit(CommitObservation{Updates: len(upds), Duration: time.Since(begin), Err: err})
	return res, err
}

// close stops the batching goroutine after it drained; later commits go
// straight to the store.
func (c *committer) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.stopping)
	started := c.started
	close(c.reqs)
	c.mu.Unlock()
	if started {
		<-c.done
	}
}

// start launches the batching goroutine.
func (c *committer) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started && !c.closed {
		c.started = true
		go c.loop()
	}
}

// commit writes upd durably (batched with others) and returns its result.
func (c *committer) commit(ctx context.Context, upd *store.Update) (store.UpdateResult, error) {
	req := &commitReq{upd: upd, res: make(chan commitRes, 1)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.direct(ctx, upd)
	}
	if !c.started {
		c.started = true
		go c.loop()
	}
	c.reqs <- req
	c.mu.Unlock()
	select {
	case r := <-req.res:
		return r.r, r.err
	case <-ctx.Done():
		// The write may still land; the lease fence keeps that harmless.
		return store.UpdateResult{}, fmt.Errorf("commit of instance %q: %w", upd.InstanceID, ctx.Err())
	}
}

func (c *committer) direct(ctx context.Context, upd *store.Update) (store.UpdateResult, error) {
	res, err := c.storeCommit(ctx, []*store.Update{upd})
	if err != nil {
		return store.UpdateResult{}, err
	}
	return res[0], nil
}

func (c *committer) loop() {
	defer close(c.done)
	if c.lanes > 1 {
		c.dispatch()
		return
	}
	batch := make([]*commitReq, 0, c.maxBatch)
	var last lastBatch
	for first := range c.reqs {
		batch = append(batch[:0], first)
		// Writers woken by the previous commit are about to send their next
		// update: yield a few times so they make this batch instead of each
		// paying an fsync of its own.
		for yield := 0; yield < lingerYields && len(batch) < c.maxBatch; yield++ {
			runtime.Gosched()
			batch = c.drain(batch)
		}
		batch = c.awaitCreator(batch, last)
		begin := time.Now()
		c.write(0, batch)
		last = lastBatch{created: slices.ContainsFunc(batch, isCreate), took: time.Since(begin)}
	}
}

// lastBatch is what awaitCreator knows of the batch written before.
type lastBatch struct {
	created bool          // some update created an instance
	took    time.Duration // its commit, in real time
}

// maxCreatorWait bounds awaitCreator's wait whatever the commits take.
const maxCreatorWait = time.Millisecond

// awaitCreator lets a batch without a create wait a little for one when
// the batch before created an instance. Whoever created it (a submitter,
// an import, a parent starting children) usually sends the next create as
// soon as its commit returns; without the wait the next create would wait
// for a whole commit of other instances' step results and then pay one of
// its own. The wait ends when a create arrives, and lasts at most a
// quarter of the last commit (real time: it trades latency against
// transactions, so it scales with what a transaction costs) and never
// more than maxCreatorWait.
func (c *committer) awaitCreator(batch []*commitReq, last lastBatch) []*commitReq {
	if !last.created || len(batch) >= c.maxBatch || slices.ContainsFunc(batch, isCreate) {
		return batch
	}
	deadline := time.Now().Add(min(last.took/4, maxCreatorWait))
	for time.Now().Before(deadline) {
		runtime.Gosched()
		n := len(batch)
		batch = c.drain(batch)
		if len(batch) >= c.maxBatch || slices.ContainsFunc(batch[n:], isCreate) {
			break
		}
	}
	return batch
}

// lingerYields is how often the committer yields to let more updates
// arrive before it writes a batch.
const lingerYields = 3

// drain appends the queued requests without blocking.
func (c *committer) drain(batch []*commitReq) []*commitReq {
	for len(batch) < c.maxBatch {
		select {
		case r, ok := <-c.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// write commits one batch on lane, retrying a failed transaction with
// backoff and, if it keeps failing, each update alone so one bad update
// cannot block the others.
func (c *committer) write(lane int, batch []*commitReq) {
	upds := make([]*store.Update, len(batch))
	for i, r := range batch {
		upds[i] = r.upd
	}
	// A bound in real time on store calls that hang, whatever the clock.
	ctx, cancel := context.WithTimeout(context.Background(), c.retryFor+time.Minute)
	defer cancel()
	var err error
	delay := 10 * time.Millisecond
	// Keep trying through a database restart, but give up while the
	// leases of the waiting runs still hold (they stop then, and the
	// instances are picked up again).
	giveUp := c.clock.Now().Add(c.retryFor)
	for try := 0; try == 0 || c.clock.Now().Before(giveUp); try++ {
		var res []store.UpdateResult
		res, err = c.storeCommit(ctx, upds)
		if err == nil {
			for i, r := range batch {
				r.res <- commitRes{r: res[i]}
			}
			return
		}
		c.log.Warn("ordo: batch commit failed, retrying", "updates", len(upds), "try", try+1, "err", err)
		if !c.pause(lane, delay) {
			break
		}
		delay = min(delay*2, time.Second)
	}
	if len(batch) == 1 {
		batch[0].res <- commitRes{err: fmt.Errorf("commit instance %q: %w", batch[0].upd.InstanceID, err)}
		return
	}
	for _, r := range batch {
		res, e := c.direct(ctx, r.upd)
		if e != nil {
			e = fmt.Errorf("commit instance %q: %w", r.upd.InstanceID, e)
		}
		r.res <- commitRes{r: res, err: e}
	}
}
