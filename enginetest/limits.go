package enginetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
)

// inFlight counts the calls of a step that run at once and the most seen.
type inFlight struct {
	now, most atomic.Int32
}

func (f *inFlight) enter() {
	n := f.now.Add(1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
}

func (f *inFlight) leave() { f.now.Add(-1) }

// gatedCall is a workflow of one step "call" under limit, which holds
// each call until the test sends on gate.
func gatedCall(name, limit string, f *inFlight, gate <-chan struct{}) *ordo.Workflow[struct{}, string] {
	return ordo.NewWorkflow(name, func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "call", &ordo.StepOptions{Limit: limit}, func(ctx context.Context) (string, error) {
			f.enter()
			defer f.leave()
			select {
			case <-gate:
				return "ok", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		})
	})
}

// testLimitConcurrency: with a limit of 2 at once, 5 instances run the
// step 2 at a time; the others wait without a worker, their step waiting
// with the limit's reason, and go on as slots free.
func testLimitConcurrency(t *testing.T, s Suite) {
	erp := ordo.Limit{Name: "erp", Concurrency: 2}
	env := s.Env(t, &ordotest.Options{Limits: []ordo.Limit{erp}})
	var f inFlight
	gate := make(chan struct{})
	env.Register(gatedCall("erp-call", "erp", &f, gate))
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = env.Start("erp-call", struct{}{})
	}
	for done := 0; done < len(ids); done++ {
		want := min(2, len(ids)-done)
		eventually(t, fmt.Sprintf("%d calls in flight", want), func() bool { return f.now.Load() == int32(want) })
		if done == 0 {
			eventually(t, "3 instances waiting for the limit, its reason in the journal, 2 holding a worker", func() bool {
				return limitWaiters(t, env, ids, "waiting for limit erp (2 at once)") == 3 && env.Engine.Active() == 2
			})
		}
		gate <- struct{}{}
	}
	for _, id := range ids {
		if got := env.WaitDone(id); got.Status != ordo.StatusComplete {
			t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
		}
	}
	if m := f.most.Load(); m != 2 {
		t.Errorf("at most %d calls ran at once, want 2", m)
	}
}

// testLimitRate: with a rate of 2 per minute, on the virtual clock, no
// minute holds more than 2 starts of the step, and 5 starts take 2
// minutes.
func testLimitRate(t *testing.T, s Suite) {
	pay := ordo.Limit{Name: "payments", Rate: 2, Per: time.Minute}
	env := s.Env(t, &ordotest.Options{Limits: []ordo.Limit{pay}})
	var mu sync.Mutex
	var starts []time.Time
	env.Register(ordo.NewWorkflow("pay", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "charge", &ordo.StepOptions{Limit: "payments"}, func(ctx context.Context) (string, error) {
			mu.Lock()
			starts = append(starts, env.Clock.Now())
			mu.Unlock()
			return "ok", nil
		})
	}))
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = env.Start("pay", struct{}{})
	}
	for _, id := range ids {
		if got := env.WaitDone(id); got.Status != ordo.StatusComplete {
			t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
		}
	}
	slices.SortFunc(starts, time.Time.Compare)
	if len(starts) != 5 {
		t.Fatalf("%d starts, want 5", len(starts))
	}
	for i := 0; i+pay.Rate < len(starts); i++ {
		if d := starts[i+pay.Rate].Sub(starts[i]); d < pay.Per {
			t.Errorf("starts %d and %d are %s apart: %d starts in one minute", i, i+pay.Rate, d, pay.Rate+1)
		}
	}
	if span := starts[4].Sub(starts[0]); span < 2*time.Minute {
		t.Errorf("5 starts at 2 a minute took %s, want at least 2m", span)
	}
}

// testLimitUnknown: a step naming a limit the engine does not declare
// gets an error wrapping ErrInvalidArgument.
func testLimitUnknown(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var got error
	wf := ordo.NewWorkflow("unknown-limit", func(ctx context.Context, _ struct{}) (string, error) {
		_, got = ordo.Do(ctx, "call", &ordo.StepOptions{Limit: "nope"}, func(ctx context.Context) (string, error) { return "", nil })
		return "", got
	})
	_, inst, _ := ordotest.Run(env, wf, struct{}{})
	if !errors.Is(got, ordo.ErrInvalidArgument) || inst.Status != ordo.StatusErrored {
		t.Fatalf("Do with an unknown limit: %v (instance %s), want ErrInvalidArgument", got, inst.Status)
	}
}

// testLimitAcrossEngines: three engines on one store share a limit of 3
// at once: 12 instances never have more than 3 calls in flight in all.
func testLimitAcrossEngines(t *testing.T, s Suite) {
	st := s.Open(t)
	lim := ordo.Limit{Name: "shared", Concurrency: 3}
	var f inFlight
	gate := make(chan struct{})
	engines := make([]*ordo.Engine, 3)
	for i := range engines {
		engines[i] = newEngine(t, ordo.Config{Store: st, Limits: []ordo.Limit{lim}, Concurrency: 8,
			PollInterval: 20 * time.Millisecond, LimitRecheck: 50 * time.Millisecond,
			LeaseDuration: 30 * time.Second, WorkerID: fmt.Sprintf("engine-%d", i)})
		mustRegister(t, engines[i], gatedCall("shared-call", "shared", &f, gate))
		startEngine(t, engines[i])
	}
	const n = 12
	ids := make([]string, n)
	for i := range ids {
		in, err := engines[i%3].Create(t.Context(), "shared-call", []byte(`{}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = in.ID
	}
	for done := 0; done < n; done++ {
		want := int32(min(3, n-done))
		eventually(t, fmt.Sprintf("%d calls in flight", want), func() bool { return f.now.Load() == want })
		gate <- struct{}{}
	}
	for i, id := range ids {
		if got := waitDone(t, engines[i%3], id); got.Status != ordo.StatusComplete {
			t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
		}
	}
	if m := f.most.Load(); m != 3 {
		t.Errorf("at most %d calls ran at once across the engines, want 3", m)
	}
}

// limitWaiters counts the instances of ids that wait, without a worker,
// with step call#1 waiting for a limit with reason.
func limitWaiters(t *testing.T, env *ordotest.Env, ids []string, reason string) int {
	t.Helper()
	waiting := 0
	for _, id := range ids {
		in, err := env.Engine.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st := stepByKey(in, "call#1"); in.Status == ordo.StatusWaiting && st.Status == "waiting" &&
			st.CustomStatus == reason && st.WakeAt != nil {
			waiting++
		}
	}
	return waiting
}
