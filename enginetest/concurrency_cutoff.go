package enginetest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// testConcurrencyCutOffCharged: an instance taken over from a dead worker
// whose workflow's concurrency slot is taken meanwhile waits for it, and
// the run that gets the slot still charges the attempt the dead worker
// was running: the charge waits in the concurrency wait entry, since the
// refused run ends before its steps replay.
func testConcurrencyCutOffCharged(t *testing.T, s Suite) {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := s.Open(t)
	ls, ok := st.(store.LimitStore)
	if !ok {
		t.Skip("the store has no named limits")
	}
	// "a" was claimed by a worker that died (its lease ended a second
	// ago); "b", leased by another for a minute more, holds the
	// workflow's only slot.
	for _, c := range []struct {
		id, owner string
		until     time.Time
	}{{"a", "ghost", start.Add(-time.Second)}, {"b", "other", start.Add(time.Minute)}} {
		if _, err := st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: c.id, Workflow: "pay", Params: json.RawMessage(`{}`), Now: start.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		got, err := st.InstanceClaim(ctx, &store.ClaimParams{Owner: c.owner, Limit: 1, Now: start.Add(-time.Minute), LeaseUntil: c.until})
		if err != nil || len(got) != 1 || got[0].ID != c.id {
			t.Fatalf("%s claim: %v %v", c.owner, got, err)
		}
		if c.id == "b" {
			g, err := ls.LimitAcquire(ctx, &store.LimitAcquireParams{Limit: store.Limit{Name: store.WorkflowLimitName("pay", ""), Concurrency: 1},
				InstanceID: "b", StepKey: store.ConcurrencySlotKey, LeaseToken: got[0].LeaseToken, Now: start, Recheck: time.Second})
			if err != nil || !g.Granted {
				t.Fatalf("b's slot: %+v %v", g, err)
			}
		}
	}
	var mu sync.Mutex
	runs := map[string]int{}
	wf := ordo.NewWorkflow("pay", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "charge", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 2, Delay: time.Second}},
			func(ctx context.Context) (string, error) {
				info, _ := ordo.StepInfoFrom(ctx)
				mu.Lock()
				runs[info.InstanceID]++
				mu.Unlock()
				return "paid", nil
			})
	}).WithConcurrency(ordo.Concurrency[struct{}]{Limit: 1})
	env := ordotest.New(t, &ordotest.Options{Store: st, Start: start})
	env.Register(wf)
	final := env.WaitDone("a")
	env.WaitDone("b")
	mu.Lock()
	ran := runs["a"]
	mu.Unlock()
	if final.Status != ordo.StatusComplete || ran != 1 {
		t.Fatalf("a: status %s, step ran %d times; want complete, 1 (error %v)", final.Status, ran, final.Error)
	}
	var charge *ordo.StepRecord
	waited := false
	for _, step := range final.Steps {
		switch step.Key {
		case "charge#1":
			charge = step
		case store.ConcurrencyWaitKey:
			waited = true
		}
	}
	if !waited {
		t.Fatalf("a has no concurrency wait in its journal; the test did not make it wait: %+v", final.Steps)
	}
	if charge == nil || charge.Attempts != 2 || len(charge.History) != 2 {
		t.Fatalf("a's charge: %+v; want 2 attempts, the cut-off one, then the one that ran", charge)
	}
	if e := charge.History[0].Error; e == nil || e.Kind != ordo.ErrorKindCutOff {
		t.Fatalf("first attempt's error = %+v, want kind cut_off", e)
	}
}
