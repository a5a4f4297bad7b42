package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestDatabaseRestart crashes the database (pg_ctl stop -m immediate) in
// the middle of a run (while steps are in flight) on two worker processes and starts it again: the
// workers log, back off, reconnect and finish every instance; no step runs
// in two places at once and no step recorded before the crash runs again.
// It runs on a throwaway cluster of its own, never the shared server.
func TestDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster and worker processes")
	}
	pgtest.URL(t) // the same rule as the other PostgreSQL tests
	t.Parallel()
	cluster := pgtest.StartCluster(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, cluster.URL, &postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	effects, effectsURL := newSideEffects(t)
	// The crash comes at a fixed point: the answers to the requests past
	// the 200th are held, so steps are in flight when the database goes
	// down, and answered (their results to be written) while it is down.
	h := effects.holdAfter("", 200)
	w := []*worker{startWorker(t, "r0", cluster.URL, effectsURL), startWorker(t, "r1", cluster.URL, effectsURL)}
	const n = 200
	ids := createInstances(t, st, n)
	effects.waitHeld(t, h, "the workers made their first 200 requests")

	snaps := []snapshot{takeSnapshot(t, st, effects, "before the database crashed")}
	cluster.Stop("immediate")
	effects.release(h)
	// The workers notice (their next statements fail) while it is down.
	waitFor(t, time.Minute, "a worker reports the lost database", func() bool {
		for _, x := range w {
			if len(x.logs.String()) > 0 {
				return true
			}
		}
		return false
	})
	cluster.Start()

	waitFor(t, 3*time.Minute, "every instance completes after the restart", func() bool { return countComplete(t, st) == n })
	waitFor(t, time.Minute, "every worker's wake-up listener reconnects", func() bool {
		for _, x := range w {
			if !strings.Contains(x.logs.String(), "wake-up listener reconnected") {
				return false
			}
		}
		return true
	})
	stopWorkers(t, w...)
	checkRun(t, st, effects, ids, snaps)
}
