package postgres_test

import (
	"context"
	"strings"
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
//
// Each disruption comes at a fixed point, not after polled progress: the
// side-effect endpoint holds the answers to a worker's requests past a
// count, so the worker is mid-step in every instance it runs when it is
// killed or told to stop, however fast the machine is.
func TestManyWorkers(t *testing.T) {
	t.Parallel()
	url, st, effects, effectsURL := clusterSetup(t)
	h0 := effects.holdAfter("w0", 100)
	h1 := effects.holdAfter("w1", 150)
	w := []*worker{
		startWorker(t, "w0", url, effectsURL),
		startWorker(t, "w1", url, effectsURL),
		startWorker(t, "w2", url, effectsURL),
	}
	const n = 500
	ids := createInstances(t, st, n)

	// 1. SIGKILL w0 mid-step: its instances are taken over once their
	// leases expire, and its cut-off attempts are counted.
	effects.waitHeld(t, h0, "w0 made its first 100 requests")
	snaps := []snapshot{takeSnapshot(t, st, effects, "before w0 was killed")}
	w[0].signal(syscall.SIGKILL)
	w[0].wait(10 * time.Second)
	t.Logf("w0 was killed with %d steps cut off after their side effect", effects.heldCount(h0))

	// 2. SIGTERM w1 while it is mid-step (a graceful stop finishes its
	// running steps, here once they are answered, and hands its instances
	// back) and start it again.
	effects.waitHeld(t, h1, "w1 made its first 150 requests")
	w[1].signal(syscall.SIGTERM)
	waitFor(t, time.Minute, "w1 begins to stop", func() bool { return strings.Contains(w[1].logs.String(), "worker stopping") })
	effects.release(h1)
	if code := w[1].wait(time.Minute); code != 0 {
		t.Errorf("w1 exited with %d (%v) after SIGTERM, want 0; log:\n%s", code, w[1].cmd.ProcessState, w[1].logs.String())
	}
	snaps = append(snaps, takeSnapshot(t, st, effects, "when w1 stopped"))
	w[1] = startWorker(t, "w1", url, effectsURL)

	waitFor(t, 3*time.Minute, "every instance completes", func() bool { return countComplete(t, st) == n })
	stopWorkers(t, w[1:]...)
	if cut := checkRun(t, st, effects, ids, snaps); cut == 0 {
		t.Error("no attempt was counted as cut off, yet w0 was killed mid-step")
	}
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
// The freeze comes at a fixed point: the answers to the worker's requests
// past its 30th are held, so it is frozen mid-step with instances leased;
// they are answered before the thaw, so the thawed worker has results to
// write that the fence must refuse.
//
// The thawed worker notices that its leases ran out before it starts
// another step (the engine checks the lease before every attempt and on
// every heartbeat tick), so no step's side effect overlaps the new owner's.
func TestFrozenWorkerFenced(t *testing.T) {
	t.Parallel()
	url, st, effects, effectsURL := clusterSetup(t)
	h := effects.holdAfter("f1", 30)
	w := []*worker{startWorker(t, "f0", url, effectsURL), startWorker(t, "f1", url, effectsURL)}
	const n = 200
	ids := createInstances(t, st, n)
	effects.waitHeld(t, h, "f1 made its first 30 requests")
	w[1].signal(syscall.SIGSTOP)
	held := leasedTo(t, st, "f1")
	if len(held) == 0 {
		t.Fatal("the frozen worker holds no instance, yet its steps wait for their answers")
	}
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
	effects.release(h)
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
