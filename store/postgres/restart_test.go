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
// the middle of a run on two worker processes and starts it again: the
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
	w := []*worker{startWorker(t, "r0", cluster.URL, effectsURL), startWorker(t, "r1", cluster.URL, effectsURL)}
	const n = 200
	ids := createInstances(t, st, n)
	waitFor(t, 2*time.Minute, "a third of the steps are recorded", recordedAtLeast(t, st, n))

	snaps := []snapshot{takeSnapshot(t, st, effects, "before the database crashed")}
	cluster.Stop("immediate")
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
