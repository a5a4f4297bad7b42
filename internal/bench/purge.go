package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// seedBacklog stores n finished instances shaped like WF3's (three
// completed steps with an attempt each, ~100-byte params and outputs),
// all finished backlogAge ago, in commits of 500.
func seedBacklog(ctx context.Context, st store.Store, n int) error {
	at := time.Now().Add(-backlogAge)
	params, _ := json.Marshal(input{Payload: filler})
	out, _ := json.Marshal(output{Payload: filler})
	const batch = 500
	for start := 0; start < n; start += batch {
		var updates []*store.Update
		for i := start; i < min(n, start+batch); i++ {
			id := "backlog-" + strconv.Itoa(i)
			token := "t-" + id
			u := &store.Update{
				Create: &store.InstanceCreateParams{ID: id, Workflow: backlogWorkflow, Params: params, Now: at,
					Claim: &store.CreateClaim{Owner: "bench", Token: token, LeaseUntil: at.Add(time.Minute)}},
				InstanceID: id, LeaseToken: token, Now: at,
				State:   &store.StateChange{Status: store.StatusComplete, Output: out},
				Release: true,
			}
			for s := 1; s <= 3; s++ {
				key := "step" + strconv.Itoa(s) + "#1"
				fin := at
				u.Steps = append(u.Steps, &store.Step{Key: key, Name: "step" + strconv.Itoa(s), Seq: 1, Ordinal: s - 1,
					Kind: store.KindDo, Status: store.StepCompleted, Output: out, Attempts: 1, StartedAt: at, FinishedAt: &fin})
				u.Attempts = append(u.Attempts, store.AttemptRecord{StepKey: key,
					Attempt: store.Attempt{Number: 1, StartedAt: at, FinishedAt: at}})
			}
			updates = append(updates, u)
		}
		res, err := st.Commit(ctx, updates)
		if err != nil {
			return fmt.Errorf("seed the backlog: %w", err)
		}
		for _, r := range res {
			if r.Err != nil {
				return fmt.Errorf("seed the backlog: %w", r.Err)
			}
		}
	}
	return nil
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

// beginBacklog seeds Options.PurgeBacklog finished instances and, with
// Options.Purge, starts deleting them; nil without a backlog.
func beginBacklog(ctx context.Context, st store.Store, o *Options) (*purgeRun, error) {
	if o.PurgeBacklog <= 0 {
		return nil, nil
	}
	t0 := time.Now()
	if err := seedBacklog(ctx, st, o.PurgeBacklog); err != nil {
		return nil, err
	}
	o.Logger.Info("bench: backlog stored", "instances", o.PurgeBacklog, "took", time.Since(t0))
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
func (p *purgeRun) finish(r *Result, duringRun int64, backlog int, stop bool) error {
	if p == nil {
		return nil
	}
	r.PurgeBacklog = backlog
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
	r.PurgedDuringRun = int(duringRun)
	r.Purged = int(p.deleted.Load())
	r.PurgeS = p.took.Seconds()
	return p.err
}
