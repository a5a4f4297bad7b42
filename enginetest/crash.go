package enginetest

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// testDeadWorkerRecovery: a worker that stops renewing its lease mid-step
// (its process hung or died: here an engine whose clock never moves, so
// it never heartbeats, blocked in step b) loses the instance to another
// engine once the lease ran out. The steps it recorded are answered from
// the journal, the cut-off attempt is counted (kind cut_off) and run
// again, and the dead worker's late result is fenced off.
func testDeadWorkerRecovery(t *testing.T, s Suite) {
	st := s.Open(t)
	var runs [3]atomic.Int32
	hung := make(chan struct{})
	entered := make(chan struct{}, 1)
	wf := ordo.NewWorkflow("recover", func(ctx context.Context, _ struct{}) (string, error) {
		out := ""
		for i, name := range []string{"a", "b", "c"} {
			v, err := ordo.Do(ctx, name, &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 2, Delay: time.Second}},
				func(ctx context.Context) (string, error) {
					if runs[i].Add(1) == 1 && name == "b" {
						entered <- struct{}{}
						select { // the dead worker's attempt: it never comes back in time
						case <-hung:
						case <-ctx.Done():
						}
					}
					return name, nil
				})
			if err != nil {
				return "", err
			}
			out += v
		}
		return out, nil
	})
	dead := ordotest.New(t, &ordotest.Options{Store: st})
	dead.Register(wf)
	id := dead.Start("recover", struct{}{})
	select {
	case <-entered:
	case <-time.After(2 * time.Minute):
		t.Fatal("step b never started")
	}

	// Another engine, an hour later (its own clock): the lease has ended.
	env := ordotest.New(t, &ordotest.Options{Store: st, Start: dead.Clock.Now().Add(time.Hour)})
	env.Register(wf)
	final := env.WaitDone(id)
	if final.Status != ordo.StatusComplete || string(final.Output) != `"abc"` {
		t.Fatalf("final %s %s %+v, want complete with abc", final.Status, final.Output, final.Error)
	}
	for i, want := range []int32{1, 2, 1} {
		if n := runs[i].Load(); n != want {
			t.Errorf("step %d ran %d times, want %d", i, n, want)
		}
	}
	b := stepByKey(final, "b#1")
	if b.Attempts != 2 || len(b.History) != 2 || b.History[0].Error == nil || b.History[0].Error.Kind != ordo.ErrorKindCutOff {
		t.Errorf("b#1: %d attempts, history %+v; want the cut-off attempt, then one that ran", b.Attempts, b.History)
	}
	if final.Claims < 2 {
		t.Errorf("claimed %d times, want a second claim by the new engine", final.Claims)
	}

	// The dead worker wakes up: its result is refused by the fence.
	close(hung)
	eventually(t, "the dead worker's run to end", func() bool { return dead.Engine.Active() == 0 })
	after, err := env.Engine.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != ordo.StatusComplete || string(after.Output) != `"abc"` || len(after.Steps) != 3 || stepByKey(after, "b#1").Attempts != 2 {
		t.Errorf("after the dead worker's late result: %s %s steps %d, want it unchanged", after.Status, after.Output, len(after.Steps))
	}
}

// testCutOffAttemptIsCounted: an instance taken over from a worker whose
// lease ran out (it died mid-step) has that attempt counted as failed
// (kind cut_off) before its step runs again, so a step that keeps killing
// its worker exhausts its retries instead of running forever.
func testCutOffAttemptIsCounted(t *testing.T, s Suite) {
	tests := []struct {
		name       string
		limit      int
		wantStatus ordo.Status
		wantRuns   int32
		wantAtts   int
	}{
		{"retried once more", 2, ordo.StatusComplete, 1, 2},
		{"no retries left", 0, ordo.StatusErrored, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			st := s.Open(t)
			// A worker ("ghost") claimed the instance and died: its lease
			// ended a second ago without being renewed.
			if _, err := st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "a", Workflow: "charge", Params: json.RawMessage(`{}`), Now: start.Add(-time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if got, err := st.InstanceClaim(ctx, &store.ClaimParams{Owner: "ghost", Limit: 1, Now: start.Add(-time.Minute), LeaseUntil: start.Add(-time.Second)}); err != nil || len(got) != 1 {
				t.Fatalf("ghost claim: %v %v", got, err)
			}

			var runs atomic.Int32
			var attemptSeen atomic.Int32
			wf := ordo.NewWorkflow("charge", func(ctx context.Context, _ struct{}) (string, error) {
				return ordo.Do(ctx, "charge", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: tc.limit, Delay: time.Second}},
					func(ctx context.Context) (string, error) {
						runs.Add(1)
						info, _ := ordo.StepInfoFrom(ctx)
						attemptSeen.Store(int32(info.Attempt))
						return "paid", nil
					})
			})
			env := ordotest.New(t, &ordotest.Options{Store: st, Start: start})
			env.Register(wf)
			final := env.WaitDone("a")
			if final.Status != tc.wantStatus || runs.Load() != tc.wantRuns {
				t.Fatalf("status %s, step ran %d times; want %s, %d (error %v)", final.Status, runs.Load(), tc.wantStatus, tc.wantRuns, final.Error)
			}
			step := final.Steps[0]
			if step.Attempts != tc.wantAtts || len(step.History) != tc.wantAtts {
				t.Fatalf("step attempts %d, history %d; want %d", step.Attempts, len(step.History), tc.wantAtts)
			}
			if e := step.History[0].Error; e == nil || e.Kind != "cut_off" {
				t.Fatalf("first attempt's error = %+v, want kind cut_off", e)
			}
			if tc.wantRuns > 0 && attemptSeen.Load() != 2 {
				t.Errorf("the step saw attempt %d, want 2 (the cut-off attempt was 1)", attemptSeen.Load())
			}
			if tc.wantStatus == ordo.StatusErrored && (final.Error == nil || final.Error.Step != "charge" || final.Error.Kind != ordo.ErrorKindCutOff) {
				t.Errorf("instance error = %+v, want the charge step's cut-off failure", final.Error)
			}
		})
	}
}

// testCutOffAttemptUnderFullLimit: the cut-off attempt of an instance
// taken over from a dead worker is counted even when its step's limit
// refuses the next attempt for now: it is charged before the limit is
// asked (it runs nothing, so it takes no grant), not lost with the run
// the refusal ends.
func testCutOffAttemptUnderFullLimit(t *testing.T, s Suite) {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := s.Open(t)
	ls, ok := st.(store.LimitStore)
	if !ok {
		t.Skip("the store has no named limits")
	}
	pay := ordo.Limit{Name: "pay", Rate: 1, Per: time.Hour}
	// "a" was claimed by a worker that died (its lease ended a second
	// ago); "b", leased by a live one, took the hour's only grant.
	for _, c := range []struct {
		id, owner string
		until     time.Time
	}{{"a", "ghost", start.Add(-time.Second)}, {"b", "alive", start.Add(24 * time.Hour)}} {
		if _, err := st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: c.id, Workflow: "pay", Params: json.RawMessage(`{}`), Now: start.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		got, err := st.InstanceClaim(ctx, &store.ClaimParams{Owner: c.owner, Limit: 1, Now: start.Add(-time.Minute), LeaseUntil: c.until})
		if err != nil || len(got) != 1 || got[0].ID != c.id {
			t.Fatalf("%s claim: %v %v", c.owner, got, err)
		}
		if c.id == "b" {
			g, err := ls.LimitAcquire(ctx, &store.LimitAcquireParams{Limit: store.Limit{Name: pay.Name, Rate: pay.Rate, Per: pay.Per},
				InstanceID: "b", StepKey: "charge#1", LeaseToken: got[0].LeaseToken, Now: start, Recheck: time.Second})
			if err != nil || !g.Granted {
				t.Fatalf("b's grant: %+v %v", g, err)
			}
		}
	}
	var runs, attemptSeen atomic.Int32
	wf := ordo.NewWorkflow("pay", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "charge", &ordo.StepOptions{Limit: pay.Name, Retries: &ordo.RetryPolicy{Limit: 2, Delay: time.Second}},
			func(ctx context.Context) (string, error) {
				runs.Add(1)
				info, _ := ordo.StepInfoFrom(ctx)
				attemptSeen.Store(int32(info.Attempt))
				return "paid", nil
			})
	})
	env := ordotest.New(t, &ordotest.Options{Store: st, Start: start, Limits: []ordo.Limit{pay}})
	env.Register(wf)
	final := env.WaitDone("a")
	if final.Status != ordo.StatusComplete || runs.Load() != 1 {
		t.Fatalf("status %s, step ran %d times; want complete, 1 (error %v)", final.Status, runs.Load(), final.Error)
	}
	step := final.Steps[0]
	if step.Attempts != 2 || len(step.History) != 2 {
		t.Fatalf("step attempts %d, history %d; want 2: the cut-off one, then the one that ran", step.Attempts, len(step.History))
	}
	if e := step.History[0].Error; e == nil || e.Kind != ordo.ErrorKindCutOff {
		t.Fatalf("first attempt's error = %+v, want kind cut_off", e)
	}
	if attemptSeen.Load() != 2 {
		t.Errorf("the step saw attempt %d, want 2 (the cut-off attempt was 1)", attemptSeen.Load())
	}
	if ran := step.History[1].StartedAt; ran.Before(start.Add(pay.Per)) {
		t.Errorf("the second attempt ran at %s, before b's grant left the window at %s", ran, start.Add(pay.Per))
	}
}
