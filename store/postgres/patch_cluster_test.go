package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
)

// patchID is the patch the new code of the patch test guards its change
// with.
const patchID = "ship-v2"

// patchSetup is the worker setup of the patch test: the code before the
// patch (version v1), or the patched code (version v2, which runs v1's
// instances too).
func patchSetup(patched bool) workerSetup {
	return func(cfg *ordo.Config, effects, worker string) []ordo.Definition {
		cfg.Version = "v1"
		if patched {
			cfg.Version, cfg.CompatibleVersions = "v2", []string{"v1"}
		}
		return []ordo.Definition{patchWorkflow(patched, effects, worker)}
	}
}

// patchWorkflow is workflow "patch": a step, a wait for event "go", a
// step. The old code runs charge-v1 and ship-v1 and returns 1; the
// patched code runs charge-v2 and ship-v2 and returns 2, unless the
// instance ran the old code past the patch point.
func patchWorkflow(patched bool, effects, worker string) *ordo.Workflow[int, int] {
	step := func(ctx context.Context, name string) error {
		_, err := ordo.Do(ctx, name, nil, func(ctx context.Context) (int, error) {
			return 0, callEffect(ctx, effects, worker, name)
		})
		return err
	}
	path := func(ctx context.Context, v int) (int, error) {
		if err := step(ctx, fmt.Sprintf("charge-v%d", v)); err != nil {
			return 0, err
		}
		if _, err := ordo.WaitForEvent[string](ctx, "go", "go", time.Hour); err != nil {
			return 0, err
		}
		return v, step(ctx, fmt.Sprintf("ship-v%d", v))
	}
	return ordo.NewWorkflow("patch", func(ctx context.Context, _ int) (int, error) {
		if patched && ordo.Patched(ctx, patchID) {
			return path(ctx, 2)
		}
		return path(ctx, 1)
	})
}

// TestPatchedAcrossWorkers starts 20 instances on three worker processes
// of the old code, which wait for an event after their first step; stops
// them; starts three of the patched code and 20 more instances; and sends
// the event to all. The old instances keep the old path on the new
// workers (their second step is the old one, run there), the new ones
// take the new path; each step's side effect is made once.
func TestPatchedAcrossWorkers(t *testing.T) {
	t.Parallel()
	url, st, effects, effectsURL := clusterSetup(t)
	wf := patchWorkflow(false, "", "")
	e := writerEngine(t, st, wf)
	const n = 20

	var old []*worker
	for i := range 3 {
		old = append(old, startWorkerWith(t, fmt.Sprintf("p%d", i), url, effectsURL, "patch-old"))
	}
	oldIDs := createN(t, e, wf, "old", n)
	waitFor(t, 3*time.Minute, "the old instances wait for their event", func() bool { return waitingAfter(t, st, "old", "charge-v1") == n })
	stopWorkers(t, old...)

	var patched []*worker
	for i := range 3 {
		patched = append(patched, startWorkerWith(t, fmt.Sprintf("q%d", i), url, effectsURL, "patch-new"))
	}
	newIDs := createN(t, e, wf, "new", n)
	waitFor(t, 3*time.Minute, "the new instances wait for their event", func() bool { return waitingAfter(t, st, "new", "charge-v2") == n })
	for _, id := range append(oldIDs, newIDs...) {
		if err := e.SendEvent(t.Context(), id, "go", "go"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 3*time.Minute, "every instance completes", func() bool { return countComplete(t, st) == 2*n })
	stopWorkers(t, patched...)

	// Who made each instance's side effects, by step.
	by := map[string]map[string][]string{}
	effects.mu.Lock()
	for _, c := range effects.calls {
		id, _, _ := strings.Cut(c.key, "/")
		if by[id] == nil {
			by[id] = map[string][]string{}
		}
		by[id][c.tag] = append(by[id][c.tag], c.worker)
	}
	effects.mu.Unlock()
	counts := effects.counts()
	check := func(ids []string, v int, version, chargedOn string, marked bool) {
		t.Helper()
		for _, id := range ids {
			in, err := st.InstanceGet(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if in.Status != ordo.StatusComplete || string(in.Output) != fmt.Sprint(v) || in.Version != version {
				t.Errorf("%s: %s with output %s on version %q, want complete with %d on %q", id, in.Status, in.Output, in.Version, v, version)
			}
			charge, ship := fmt.Sprintf("charge-v%d", v), fmt.Sprintf("ship-v%d", v)
			if len(by[id]) != 2 || len(by[id][charge]) == 0 || len(by[id][ship]) == 0 {
				t.Errorf("%s made side effects %v, want %s and %s", id, by[id], charge, ship)
			}
			for _, w := range by[id][charge] {
				if !strings.HasPrefix(w, chargedOn) {
					t.Errorf("%s: %s ran on %s, want a worker %s*", id, charge, w, chargedOn)
				}
			}
			for _, w := range by[id][ship] {
				if !strings.HasPrefix(w, "q") {
					t.Errorf("%s: %s ran on %s, want a patched worker q*", id, ship, w)
				}
			}
			j, err := st.JournalLoad(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if has := hasPatchMarker(j, patchID); has != marked {
				t.Errorf("%s: journal holds the marker of patch %q: %v, want %v", id, patchID, has, marked)
			}
			for _, key := range []string{charge + "#1", ship + "#1"} {
				checkAttempts(t, j, id, key, counts[id+"/"+key], 1)
			}
		}
	}
	check(oldIDs, 1, "v1", "p", false)
	check(newIDs, 2, "v2", "q", true)
}

// waitingAfter counts the instances prefix-... that wait with step
// completed.
func waitingAfter(t *testing.T, st *postgres.Store, prefix, step string) int {
	t.Helper()
	var n int
	err := st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM instances i WHERE i.id LIKE $1 || '-%'
		AND i.status = 'waiting' AND EXISTS (SELECT 1 FROM steps s WHERE s.instance_id = i.id AND s.key = $2 AND s.status = 'completed')`,
		prefix, step+"#1").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// hasPatchMarker reports whether j holds the marker of patch id.
func hasPatchMarker(j *store.Journal, id string) bool {
	for _, s := range j.Steps {
		if s.Kind == store.KindPatch && s.Key == store.PatchKey(id) {
			return true
		}
	}
	return false
}
