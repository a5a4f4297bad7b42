package postgres_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// clusterSetup opens the parent's store on a fresh schema and starts the
// side-effect endpoint.
func clusterSetup(t *testing.T) (url string, st *postgres.Store, effects *sideEffects, effectsURL string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts worker processes and waits for leases to expire")
	}
	url, _ = pgtest.Schema(t)
	st, err := postgres.Open(context.Background(), url, &postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	effects, effectsURL = newSideEffects(t)
	return url, st, effects, effectsURL
}

// TestManyWorkers runs 500 instances of a three-step workflow with a
// durable sleep and retries on three worker processes sharing one schema,
// while one worker is killed with SIGKILL and another is stopped with
// SIGTERM and started again. Every instance completes; no step runs in two
// places at once; steps recorded before each disruption never run again;
// every worker took part.
func TestManyWorkers(t *testing.T) {
	t.Parallel()
	url, st, effects, effectsURL := clusterSetup(t)
	w := []*worker{
		startWorker(t, "w0", url, effectsURL),
		startWorker(t, "w1", url, effectsURL),
		startWorker(t, "w2", url, effectsURL),
	}
	const n = 500
	ids := createInstances(t, st, n)

	// 1. SIGKILL w0 mid-run: its instances are taken over once their
	// leases expire.
	waitFor(t, 2*time.Minute, "a fifth of the steps are recorded", recordedAtLeast(t, st, 3*n/5))
	snaps := []snapshot{takeSnapshot(t, st, effects, "before w0 was killed")}
	w[0].signal(syscall.SIGKILL)
	w[0].wait(10 * time.Second)

	// 2. SIGTERM w1 (a graceful stop finishes its running steps and hands
	// its instances back) and start it again.
	waitFor(t, 2*time.Minute, "half of the steps are recorded", recordedAtLeast(t, st, 3*n/2))
	w[1].signal(syscall.SIGTERM)
	if code := w[1].wait(time.Minute); code != 0 {
		t.Errorf("w1 exited with %d (%v) after SIGTERM, want 0; log:\n%s", code, w[1].cmd.ProcessState, w[1].logs.String())
	}
	snaps = append(snaps, takeSnapshot(t, st, effects, "when w1 stopped"))
	w[1] = startWorker(t, "w1", url, effectsURL)

	waitFor(t, 3*time.Minute, "every instance completes", func() bool { return countComplete(t, st) == n })
	stopWorkers(t, w[1:]...)
	checkRun(t, st, effects, ids, snaps)
	effects.mu.Lock()
	defer effects.mu.Unlock()
	for _, name := range []string{"w0", "w1", "w2"} {
		if effects.byWorker[name] == 0 {
			t.Errorf("worker %s ran no step; the work was not shared", name)
		}
	}
	t.Logf("side effects per worker: %v", effects.byWorker)
}

// TestFrozenWorkerFenced freezes a worker (SIGSTOP) until every instance it
// held was taken over by the others, then thaws it: whatever the thawed
// worker still writes is refused by the lease fence (it logs "lease lost"),
// and every instance completes with the new owners' results.
//
// The thawed worker notices that its leases ran out before it starts
// another step (the engine checks the lease before every attempt and on
// every heartbeat tick), so no step's side effect overlaps the new owner's.
func TestFrozenWorkerFenced(t *testing.T) {
	t.Parallel()
	url, st, effects, effectsURL := clusterSetup(t)
	w := []*worker{startWorker(t, "f0", url, effectsURL), startWorker(t, "f1", url, effectsURL)}
	const n = 200
	ids := createInstances(t, st, n)
	waitFor(t, 2*time.Minute, "a third of the steps are recorded", recordedAtLeast(t, st, n))
	w[1].signal(syscall.SIGSTOP)
	held := leasedTo(t, st, "f1")
	waitFor(t, time.Minute, "the frozen worker's instances are taken over", func() bool {
		for _, id := range held {
			in, err := st.InstanceGet(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if in.LeaseOwner == "f1" && !in.Status.Terminal() {
				return false
			}
		}
		return true
	})
	w[1].signal(syscall.SIGCONT)
	waitFor(t, 3*time.Minute, "every instance completes", func() bool { return countComplete(t, st) == n })
	stopWorkers(t, w...)
	checkComplete(t, st, ids)
	for _, id := range held {
		if in, err := st.InstanceGet(context.Background(), id); err != nil || in.Claims < 2 {
			t.Errorf("%s was held by the frozen worker but not claimed again: %+v, %v", id, in, err)
		}
	}
	effects.mu.Lock()
	overlaps := append([]string(nil), effects.overlaps...)
	effects.mu.Unlock()
	if len(overlaps) > 0 {
		t.Errorf("the thawed worker started steps it no longer owned; their side effects overlapped the new owner's: %v", overlaps)
	}
	t.Logf("f1 held %d instances when frozen", len(held))
}

func recordedAtLeast(t *testing.T, st *postgres.Store, k int) func() bool {
	return func() bool { return len(recordedSteps(t, st)) >= k }
}

// stopWorkers stops workers with SIGTERM and checks they exit cleanly.
func stopWorkers(t *testing.T, ws ...*worker) {
	t.Helper()
	for _, w := range ws {
		w.signal(syscall.SIGTERM)
	}
	for _, w := range ws {
		if code := w.wait(time.Minute); code != 0 {
			t.Errorf("%s exited with %d after SIGTERM, want 0", w.name, code)
		}
	}
}

// leasedTo returns the unfinished instances leased to owner.
func leasedTo(t *testing.T, st *postgres.Store, owner string) []string {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), `SELECT id FROM instances WHERE lease_owner = $1 AND status = 'running'`, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}
