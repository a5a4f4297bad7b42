package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/retention"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestOneWorkerAtATime: two workers (engines with their own stores) on
// one PostgreSQL schema never delete at once. Worker A's pass is held
// inside its delete hook, that is while it holds the purge lock; worker
// B's pass meanwhile finds the lock held and deletes nothing. Once A's
// pass ended, B's next pass takes the lock.
func TestOneWorkerAtATime(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	envA := ordotest.New(t, &ordotest.Options{Store: openPostgres(t, url)})
	envB := ordotest.New(t, &ordotest.Options{Store: openPostgres(t, url), Start: envA.Clock.Now()})
	workflows(envA)
	workflows(envB)
	var ids []string
	for range 5 {
		ids = append(ids, finish(envA, "wf", ordo.StatusComplete))
	}
	inHook, release := make(chan struct{}), make(chan struct{})
	first := true
	envA.Engine.OnDelete(func(ctx context.Context, cs []store.PurgeCandidate) error {
		if first {
			first = false
			close(inHook)
			<-release
		}
		return nil
	})
	newSvc := func(env *ordotest.Env) *retention.Service {
		svc, err := retention.New(retention.Config{Engine: env.Engine, Period: day, BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a, b := newSvc(envA), newSvc(envB)
	envA.Clock.Advance(2 * day)
	envB.Clock.Advance(2*day + time.Hour)

	passA := make(chan retention.Pass, 1)
	go func() { passA <- a.RunOnce(context.Background()) }()
	select {
	case <-inHook:
	case <-time.After(30 * time.Second):
		t.Fatal("worker A's pass did not reach its delete hook")
	}
	if p := b.RunOnce(t.Context()); !p.Busy || p.Deleted != 0 || p.Err != nil {
		t.Errorf("worker B's pass while A deletes: %+v; want busy, nothing deleted", p)
	}
	for _, id := range ids {
		if !exists(t, envB, id) {
			t.Errorf("%s was deleted while A's first batch was held", id)
		}
	}
	close(release)
	if p := <-passA; p.Deleted != len(ids) || p.Busy || p.Err != nil {
		t.Errorf("worker A's pass: %+v; want %d deleted", p, len(ids))
	}
	if p := b.RunOnce(t.Context()); p.Busy || p.Err != nil {
		t.Errorf("worker B's pass after A's: %+v; want not busy", p)
	}
}
