package enginetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

type cartParams struct {
	CartID string `json:"cartId"`
}

func testStepsRunAndPersist(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var runs atomic.Int32
	wf := ordo.NewWorkflow("three", func(ctx context.Context, p cartParams) (string, error) {
		a, err := ordo.Do(ctx, "a", nil, func(ctx context.Context) (string, error) { runs.Add(1); return "A-" + p.CartID, nil })
		if err != nil {
			return "", err
		}
		b, err := ordo.Do(ctx, "b", nil, func(ctx context.Context) (int, error) { runs.Add(1); return 42, nil })
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s/%d", a, b), nil
	})
	out, inst, err := ordotest.Run(env, wf, cartParams{CartID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if out != "A-c1/42" {
		t.Fatalf("output = %q", out)
	}
	if len(inst.Steps) != 2 || inst.Steps[0].Key != "a#1" || inst.Steps[1].Key != "b#1" {
		t.Fatalf("steps = %+v", inst.Steps)
	}
	if string(inst.Steps[1].Output) != "42" || inst.Steps[1].Attempts != 1 || len(inst.Steps[1].History) != 1 {
		t.Fatalf("step b = %+v", inst.Steps[1])
	}
	if runs.Load() != 2 {
		t.Fatalf("runs = %d", runs.Load())
	}
}

func testLoopStepsGetOccurrenceKeys(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	wf := ordo.NewWorkflow("loop", func(ctx context.Context, _ struct{}) (int, error) {
		sum := 0
		for i := range 3 {
			v, err := ordo.Do(ctx, "add", nil, func(ctx context.Context) (int, error) { return i, nil })
			if err != nil {
				return 0, err
			}
			sum += v
		}
		return sum, nil
	})
	out, inst, err := ordotest.Run(env, wf, struct{}{})
	if err != nil || out != 3 {
		t.Fatalf("out=%d err=%v", out, err)
	}
	var keys []string
	for _, s := range inst.Steps {
		keys = append(keys, s.Key)
	}
	if !slices.Equal(keys, []string{"add#1", "add#2", "add#3"}) {
		t.Fatalf("keys = %v", keys)
	}
}

func testRetriesFollowBackoff(t *testing.T, s Suite) {
	tests := []struct {
		backoff ordo.Backoff
		gaps    []time.Duration
	}{
		{ordo.BackoffConstant, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}},
		{ordo.BackoffLinear, []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second}},
		{ordo.BackoffExponential, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(string(tt.backoff), func(t *testing.T) {
			t.Parallel()
			env := s.Env(t, nil)
			wf := ordo.NewWorkflow("flaky-"+string(tt.backoff), func(ctx context.Context, _ struct{}) (int, error) {
				return ordo.Do(ctx, "flaky", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 5, Delay: 10 * time.Second, Backoff: tt.backoff}},
					func(ctx context.Context) (int, error) {
						info, _ := ordo.StepInfoFrom(ctx)
						if info.Attempt < 4 {
							return 0, fmt.Errorf("attempt %d fails", info.Attempt)
						}
						return info.Attempt, nil
					})
			})
			out, inst, err := ordotest.Run(env, wf, struct{}{})
			if err != nil || out != 4 {
				t.Fatalf("out=%d err=%v", out, err)
			}
			h := inst.Steps[0].History
			if len(h) != 4 {
				t.Fatalf("history = %+v", h)
			}
			for i, want := range tt.gaps {
				if got := h[i+1].StartedAt.Sub(h[i].FinishedAt); got != want {
					t.Errorf("gap after attempt %d = %s, want %s", i+1, got, want)
				}
				if h[i].Error == nil {
					t.Errorf("attempt %d has no error", i+1)
				}
			}
		})
	}
}

func testNonRetryableFailsAtOnceAndRetriesExhaust(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var nr, ex atomic.Int32
	wf := ordo.NewWorkflow("fails", func(ctx context.Context, kind string) (string, error) {
		if kind == "nonretryable" {
			return ordo.Do(ctx, "card", nil, func(ctx context.Context) (string, error) {
				nr.Add(1)
				return "", ordo.NonRetryable(errors.New("card declined"))
			})
		}
		return ordo.Do(ctx, "flaky", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 2, Delay: time.Minute}},
			func(ctx context.Context) (string, error) { ex.Add(1); return "", errors.New("boom") })
	})
	_, inst, err := ordotest.Run(env, wf, "nonretryable")
	if err == nil || nr.Load() != 1 || inst.Error.Kind != "non_retryable" || inst.Error.Step != "card" {
		t.Fatalf("nonretryable: err=%v calls=%d error=%+v", err, nr.Load(), inst.Error)
	}
	_, inst, err = ordotest.Run(env, wf, "exhaust")
	if err == nil || ex.Load() != 3 || inst.Steps[0].Status != store.StepFailed || inst.Steps[0].Attempts != 3 {
		t.Fatalf("exhaust: err=%v calls=%d step=%+v", err, ex.Load(), inst.Steps[0])
	}
}

// testTimedOutAttemptIsCancelledAndRetried: an attempt still running at
// its timeout (virtual time) has its context cancelled and is retried.
func testTimedOutAttemptIsCancelledAndRetried(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var attempts atomic.Int32
	blocked := make(chan struct{}, 2)
	wf := ordo.NewWorkflow("slow", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "slow", &ordo.StepOptions{Timeout: 5 * time.Second, Retries: &ordo.RetryPolicy{Limit: 2}},
			func(ctx context.Context) (string, error) {
				if attempts.Add(1) < 3 {
					blocked <- struct{}{}
					<-ctx.Done() // blocks until the attempt's deadline
					return "", ctx.Err()
				}
				return "fast now", nil
			})
	})
	env.Register(wf)
	// The attempt's timer is armed before it runs: once it blocks, five
	// seconds of virtual time end it (less than the heartbeat interval, so
	// the lease never runs out in the jump).
	go func() {
		for range 2 {
			select {
			case <-blocked:
				env.Clock.Advance(5 * time.Second)
			case <-t.Context().Done():
				return
			}
		}
	}()
	final := env.WaitDone(env.Start("slow", struct{}{}))
	if final.Status != ordo.StatusComplete || attempts.Load() != 3 {
		t.Fatalf("status %s attempts %d", final.Status, attempts.Load())
	}
	h := final.Steps[0].History
	if len(h) != 3 || h[0].Error == nil || h[0].Error.Kind != "timeout" {
		t.Fatalf("history = %+v", h)
	}
}

func testParallelSteps(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var fails atomic.Int32
	wf := ordo.NewWorkflow("fan", func(ctx context.Context, _ struct{}) (int, error) {
		var fs []*ordo.Future[int]
		for i := range 5 {
			fs = append(fs, ordo.Go(ctx, fmt.Sprintf("part-%d", i), &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 3, Delay: time.Minute}},
				func(ctx context.Context) (int, error) {
					if i == 3 && fails.Add(1) == 1 {
						return 0, errors.New("transient")
					}
					return i * 10, nil
				}))
		}
		aw := make([]ordo.Awaitable, len(fs))
		for i, f := range fs {
			aw[i] = f
		}
		if err := ordo.Await(ctx, aw...); err != nil {
			return 0, err
		}
		sum := 0
		for _, f := range fs {
			v, err := f.Get(ctx)
			if err != nil {
				return 0, err
			}
			sum += v
		}
		return sum, nil
	})
	out, inst, err := ordotest.Run(env, wf, struct{}{})
	if err != nil || out != 100 {
		t.Fatalf("out=%d err=%v", out, err)
	}
	if len(inst.Steps) != 5 {
		t.Fatalf("steps = %d", len(inst.Steps))
	}
	for _, s := range inst.Steps {
		want := 1
		if s.Name == "part-3" {
			want = 2
		}
		if s.Attempts != want {
			t.Errorf("%s attempts = %d, want %d", s.Key, s.Attempts, want)
		}
	}
}

func testRegisterAndCreateErrors(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	wf := ordo.NewWorkflow("w", func(ctx context.Context, p cartParams) (int, error) { return 1, nil })
	env.Register(wf)
	if err := env.Engine.Register(ordo.NewWorkflow("w", func(ctx context.Context, _ int) (int, error) { return 0, nil })); !errors.Is(err, ordo.ErrAlreadyExists) {
		t.Fatalf("duplicate register: %v", err)
	}
	ctx := context.Background()
	if _, err := env.Engine.Create(ctx, "nope", nil, nil); !errors.Is(err, ordo.ErrNotFound) {
		t.Fatalf("unknown workflow: %v", err)
	}
	if _, err := env.Engine.Create(ctx, "w", []byte(`{"cartId": 5}`), nil); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Fatalf("bad params: %v", err)
	}
	big := []byte(`{"cartId":"` + strings.Repeat("x", 1<<20) + `"}`)
	if _, err := env.Engine.Create(ctx, "w", big, nil); !errors.Is(err, ordo.ErrPayloadTooLarge) {
		t.Fatalf("big params: %v", err)
	}
	if _, err := env.Engine.Create(ctx, "w", nil, &ordo.CreateOptions{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if inst, err := env.Engine.Create(ctx, "w", nil, &ordo.CreateOptions{ID: "x"}); !errors.Is(err, ordo.ErrAlreadyExists) || inst == nil {
		t.Fatalf("duplicate id: %v %v", inst, err)
	}
}

func testStepOutputTooLarge(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	wf := ordo.NewWorkflow("big", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "big", nil, func(ctx context.Context) (string, error) {
			return string(make([]byte, 2<<20)), nil
		})
	})
	_, inst, err := ordotest.Run(env, wf, struct{}{})
	if err == nil || inst.Steps[0].Attempts != 1 || inst.Error.Kind != "non_retryable" {
		t.Fatalf("err=%v steps=%+v", err, inst.Steps)
	}
}
