package enginetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// shipment is what an asynchronous "ship" step reports.
type shipment struct {
	Tracking string `json:"tracking"`
}

// starts records the attempts an asynchronous step's start function ran.
type starts struct {
	mu       sync.Mutex
	attempts []int
}

func (s *starts) add(info ordo.StepInfo) {
	s.mu.Lock()
	s.attempts = append(s.attempts, info.Attempt)
	s.mu.Unlock()
}

func (s *starts) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.attempts)
}

// asyncEnv registers "ship": an asynchronous step after a compensable
// "reserve", with opts; undone counts reserve's compensations.
func asyncEnv(t *testing.T, st store.Store, opts *ordo.StepOptions) (*ordotest.Env, *starts, *int) {
	env := ordotest.New(t, &ordotest.Options{Store: st})
	s := &starts{}
	undone := new(int)
	env.Register(ordo.NewWorkflow("ship", func(ctx context.Context, order string) (shipment, error) {
		if _, err := ordo.DoWithCompensation(ctx, "reserve", nil, func(context.Context) (string, string, error) {
			return "reserved", order, nil
		}, func(context.Context, string) error { *undone++; return nil }); err != nil {
			return shipment{}, err
		}
		return ordo.DoAsync[shipment](ctx, "ship", opts, func(_ context.Context, info ordo.StepInfo) error {
			s.add(info)
			return nil
		})
	}))
	return env, s, undone
}

// waitAttempt waits until the step's start ran for attempt n and the
// instance waits for its result.
func waitAttempt(t *testing.T, env *ordotest.Env, id string, s *starts, n int) {
	t.Helper()
	waitFor(t, env.Engine, id, "the ship step waiting", func(in *ordo.Instance) bool {
		for _, st := range in.Steps {
			if st.Key == "ship#1" && st.Status == store.StepWaiting && st.Attempts == n && st.WakeAt != nil {
				return in.Status == ordo.StatusWaiting && s.count() >= n
			}
		}
		return false
	})
}

// testAsyncStepComplete: the step waits without a worker until its result
// is reported; a second report, a report for another kind of step and one
// for an unknown step are refused.
func testAsyncStepComplete(t *testing.T, s Suite) {
	env, started, _ := asyncEnv(t, s.Open(t), nil)
	ctx := t.Context()
	createWith(t, env, "o1", "ship", `"o1"`)
	waitAttempt(t, env, "o1", started, 1)
	waitIdle(t, env.Engine)
	// Paused, the instance does not take the result yet: a second
	// result of the attempt is refused while the first is pending.
	if _, err := env.Engine.Pause(ctx, "o1"); err != nil {
		t.Fatal(err)
	}
	if err := env.Engine.CompleteStep(ctx, "o1", "ship#1", shipment{Tracking: "T1"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Engine.CompleteStep(ctx, "o1", "ship#1", shipment{Tracking: "T2"}); !errors.Is(err, ordo.ErrStepNotWaiting) {
		t.Errorf("second result while the first is pending: %v, want ErrStepNotWaiting", err)
	}
	if _, err := env.Engine.Resume(ctx, "o1"); err != nil {
		t.Fatal(err)
	}
	if got := outputOf(t, env, "o1"); got != `{"tracking":"T1"}` {
		t.Errorf("output = %s", got)
	}
	for _, tc := range []struct {
		key  string
		want error
	}{
		{"ship#1", ordo.ErrStepNotWaiting},
		{"reserve#1", ordo.ErrStepNotWaiting},
		{"nope#1", ordo.ErrNotFound},
	} {
		err := env.Engine.CompleteStep(ctx, "o1", tc.key, "x")
		if !errors.Is(err, tc.want) {
			t.Errorf("complete %s: %v, want %v", tc.key, err, tc.want)
		}
	}
	if err := env.Engine.FailStep(ctx, "o1", "ship#1", "late", nil); !errors.Is(err, ordo.ErrInvalidTransition) {
		t.Errorf("fail after completion: %v, want a transition error", err)
	}
	if started.count() != 1 {
		t.Errorf("start ran %d times, want 1", started.count())
	}
}

// testAsyncStepFailRetry: a reported failure retries the step (its start
// runs again, the old attempt refuses results); a non-retryable one fails
// it for good and the earlier step's compensation runs.
func testAsyncStepFailRetry(t *testing.T, s Suite) {
	env, started, undone := asyncEnv(t, s.Open(t), &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 3}})
	ctx := t.Context()
	createWith(t, env, "o1", "ship", `"o1"`)
	waitAttempt(t, env, "o1", started, 1)
	if err := env.Engine.FailStep(ctx, "o1", "ship#1", "carrier down", nil); err != nil {
		t.Fatal(err)
	}
	waitAttempt(t, env, "o1", started, 2)
	if err := env.Engine.CompleteStep(ctx, "o1", "ship#1", shipment{Tracking: "T2"}); err != nil {
		t.Fatal(err)
	}
	if got := outputOf(t, env, "o1"); got != `{"tracking":"T2"}` {
		t.Errorf("output = %s", got)
	}

	createWith(t, env, "o2", "ship", `"o2"`)
	waitAttempt(t, env, "o2", started, 1)
	if err := env.Engine.FailStep(ctx, "o2", "ship#1", "address invalid", &ordo.FailStepOptions{NonRetryable: true}); err != nil {
		t.Fatal(err)
	}
	got := env.WaitDone("o2")
	if got.Status != ordo.StatusErrored || got.Error == nil || got.Error.Kind != store.ErrorKindNonRetryable {
		t.Fatalf("o2 = %s %+v, want errored non_retryable", got.Status, got.Error)
	}
	if *undone != 1 {
		t.Errorf("reserve undone %d times, want 1", *undone)
	}
	if started.count() != 3 {
		t.Errorf("start ran %d times, want 3 (two for o1, one for o2)", started.count())
	}
}

// testAsyncStepTimeout: a step with no result within its wait is retried,
// and fails with a timeout once its retries are spent (virtual time).
func testAsyncStepTimeout(t *testing.T, s Suite) {
	env, started, undone := asyncEnv(t, s.Open(t), &ordo.StepOptions{Wait: time.Hour, Retries: &ordo.RetryPolicy{Limit: 1}})
	createWith(t, env, "o1", "ship", `"o1"`)
	got := env.WaitDone("o1")
	if got.Status != ordo.StatusErrored || got.Error == nil || got.Error.Kind != store.ErrorKindTimeout {
		t.Fatalf("o1 = %s %+v, want errored by a timeout", got.Status, got.Error)
	}
	if started.count() != 2 || *undone != 1 {
		t.Errorf("start ran %d times (want 2), reserve undone %d (want 1)", started.count(), *undone)
	}
	if err := env.Engine.CompleteStep(t.Context(), "o1", "ship#1", "late"); !errors.Is(err, ordo.ErrStepNotWaiting) {
		t.Errorf("complete after the end: %v, want ErrStepNotWaiting", err)
	}
}

// testAsyncStepResultDuringStart: a result reported while start still
// runs (here by start itself) is taken; a step with a compensation gets
// its output back when a later step fails.
func testAsyncStepResultDuringStart(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var undone []shipment
	var mu sync.Mutex
	env.Register(ordo.NewWorkflow("fast", func(ctx context.Context, _ string) (string, error) {
		out, err := ordo.DoAsyncWithCompensation(ctx, "ship", nil, func(ctx context.Context, info ordo.StepInfo) error {
			return env.Engine.CompleteStep(ctx, info.InstanceID, info.Key, shipment{Tracking: "F"})
		}, func(_ context.Context, s shipment) error {
			mu.Lock()
			undone = append(undone, s)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return "", err
		}
		_, err = ordo.Do(ctx, "invoice", &ordo.StepOptions{Retries: ordo.NoRetries}, func(context.Context) (string, error) {
			return "", errors.New("no invoice for " + out.Tracking)
		})
		return "", err
	}))
	createWith(t, env, "f1", "fast", `""`)
	got := env.WaitDone("f1")
	if got.Status != ordo.StatusErrored {
		t.Fatalf("f1 = %s %+v", got.Status, got.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(undone) != 1 || undone[0].Tracking != "F" {
		t.Errorf("compensations = %+v, want one with the step's output", undone)
	}
}
