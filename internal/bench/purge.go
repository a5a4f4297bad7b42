package bench

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// backlogWorkflow is the workflow of the finished instances a run with
// Options.PurgeBacklog starts with.
const backlogWorkflow = "bench-backlog"

// backlogAge is how long before the run the backlog finished; the purge
// deletes what finished more than backlogRetention ago.
const (
	backlogAge       = 60 * 24 * time.Hour
	backlogRetention = 30 * 24 * time.Hour
)

// seedBacklog stores n finished instances shaped like WF3's, all
// created backlogAge ago.
func seedBacklog(ctx context.Context, st store.Store, n int) error {
	at := time.Now().Add(-backlogAge)
	return storeFinished(ctx, st, finishedSet{n: n, workflow: backlogWorkflow,
		at: func(int) time.Time { return at },
		id: func(i int, _ time.Time) string { return "backlog-" + strconv.Itoa(i) },
	}, 1)
}

// purgeRun is a deletion of the backlog running beside the workload.
type purgeRun struct {
	cancel  context.CancelFunc
	deleted atomic.Int64
	done    chan struct{}
	err     error
	took    time.Duration
}

// startPurge starts deleting the backlog as retention would (batches of
// store.DefaultPurgeBatch under the purge lock, paced by
// Options.PurgePauseRatio) with an engine of its
// own on st, which is never started.
func startPurge(ctx context.Context, st store.Store, o *Options) (*purgeRun, error) {
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &purgeRun{done: make(chan struct{}), cancel: cancel}
	e.OnDelete(func(_ context.Context, cs []store.PurgeCandidate) error {
		p.deleted.Add(int64(len(cs)))
		return nil
	})
	go func() {
		defer close(p.done)
		t0 := time.Now()
		_, p.err = e.Purge(ctx, &ordo.PurgeOptions{FinishedBefore: time.Now().Add(-backlogRetention),
			PauseRatio: o.PurgePauseRatio})
		p.took = time.Since(t0)
	}()
	return p, nil
}

// beginPurge starts deleting the backlog with Options.Purge (fill
// stored it); nil without a backlog.
func beginPurge(ctx context.Context, st store.Store, o *Options) (*purgeRun, error) {
	if o.PurgeBacklog <= 0 {
		return nil, nil
	}
	if !o.Purge {
		return &purgeRun{}, nil
	}
	return startPurge(ctx, st, o)
}

// deletedNow is how many instances the purge deleted so far.
func (p *purgeRun) deletedNow() int64 {
	if p == nil {
		return 0
	}
	return p.deleted.Load()
}

// finish waits for the purge (if one runs) and records the backlog and
// the purge in r, with how many it had deleted when the workload ended.
// With r nil it only waits; it may be called again.
func (p *purgeRun) finish(r *Result, duringRun int64, backlog int, stop bool) error {
	if p == nil {
		return nil
	}
	if r != nil {
		r.PurgeBacklog = backlog
	}
	if p.done == nil {
		return nil
	}
	if stop {
		p.cancel()
	}
	<-p.done
	p.cancel()
	if stop && errors.Is(p.err, context.Canceled) {
		p.err = nil
	}
	if r != nil {
		r.PurgedDuringRun = int(duringRun)
		r.Purged = int(p.deleted.Load())
		r.PurgeS = p.took.Seconds()
	}
	return p.err
}
