package ordo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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

func TestStepsRunAndPersist(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
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

func TestLoopStepsGetOccurrenceKeys(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
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

func TestFinishedStepNeverRerunsAfterEngineRestart(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	var first, second atomic.Int32
	wf := ordo.NewWorkflow("sleepy", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.Do(ctx, "charge", nil, func(ctx context.Context) (string, error) { first.Add(1); return "paid", nil }); err != nil {
			return "", err
		}
		if err := ordo.Sleep(ctx, "wait two days", 48*time.Hour); err != nil {
			return "", err
		}
		return ordo.Do(ctx, "ship", nil, func(ctx context.Context) (string, error) { second.Add(1); return "shipped", nil })
	})
	env.Register(wf)
	id := env.Start("sleepy", struct{}{})
	waiting := env.WaitStatus(id, ordo.StatusWaiting)
	if waiting.WakeAt == nil || !waiting.WakeAt.Equal(env.Clock.Now().Add(48*time.Hour)) {
		t.Fatalf("wakeAt = %v, now %v", waiting.WakeAt, env.Clock.Now())
	}
	// Stop this engine and continue with a brand-new one on the same store.
	ctx := context.Background()
	if err := env.Engine.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	env2 := ordotest.New(t, &ordotest.Options{Store: env.Store, Start: env.Clock.Now()})
	env2.Register(wf)
	final := env2.WaitDone(id)
	if final.Status != ordo.StatusComplete || first.Load() != 1 || second.Load() != 1 {
		t.Fatalf("status=%s charge ran %d, ship ran %d", final.Status, first.Load(), second.Load())
	}
	if got := final.Steps[1]; got.Kind != store.KindSleep || got.Status != store.StepCompleted {
		t.Fatalf("sleep step = %+v", got)
	}
}

func TestRetriesFollowBackoff(t *testing.T) {
	t.Parallel()
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
			env := ordotest.New(t, nil)
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

func TestDelayAfterFormula(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p       ordo.RetryPolicy
		attempt int
		want    time.Duration
	}{
		{ordo.RetryPolicy{Delay: time.Second, Backoff: ordo.BackoffConstant}, 5, time.Second},
		{ordo.RetryPolicy{Delay: time.Second, Backoff: ordo.BackoffLinear}, 5, 5 * time.Second},
		{ordo.RetryPolicy{Delay: time.Second, Backoff: ordo.BackoffExponential}, 5, 16 * time.Second},
		{ordo.RetryPolicy{Delay: time.Second}, 1, time.Second},
		{ordo.RetryPolicy{Delay: time.Second, MaxDelay: 3 * time.Second}, 5, 3 * time.Second},
		{ordo.RetryPolicy{Delay: time.Hour, Backoff: ordo.BackoffExponential}, 200, time.Duration(1<<62) / 1},
	}
	for _, tt := range tests {
		got := tt.p.DelayAfter(tt.attempt)
		if tt.attempt == 200 {
			if got <= 0 {
				t.Errorf("huge exponential delay overflowed: %s", got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%+v attempt %d: got %s want %s", tt.p, tt.attempt, got, tt.want)
		}
	}
	d := ordo.DefaultRetryPolicy()
	if d.Limit != 5 || d.Delay != 10*time.Second || d.Backoff != ordo.BackoffExponential {
		t.Errorf("defaults = %+v", d)
	}
}

func TestNonRetryableFailsAtOnceAndRetriesExhaust(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
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

func TestTimedOutAttemptIsCancelledAndRetried(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger(), PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	wf := ordo.NewWorkflow("slow", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "slow", &ordo.StepOptions{Timeout: 50 * time.Millisecond, Retries: &ordo.RetryPolicy{Limit: 2}},
			func(ctx context.Context) (string, error) {
				if attempts.Add(1) < 3 {
					<-ctx.Done() // blocks until the attempt's deadline
					return "", ctx.Err()
				}
				return "fast now", nil
			})
	})
	mustRegister(t, e, wf)
	startEngine(t, e)
	inst, err := wf.Create(context.Background(), e, struct{}{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	final := waitDone(t, e, inst.ID)
	if final.Status != ordo.StatusComplete || attempts.Load() != 3 {
		t.Fatalf("status %s attempts %d", final.Status, attempts.Load())
	}
	h := final.Steps[0].History
	if len(h) != 3 || h[0].Error == nil || h[0].Error.Kind != "timeout" {
		t.Fatalf("history = %+v", h)
	}
}

type product struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func TestCompensationsRunInReverseOrder(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	var mu sync.Mutex
	var log []string
	add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	wf := ordo.NewWorkflow("saga", func(ctx context.Context, failComp bool) (string, error) {
		for _, name := range []string{"one", "two", "three"} {
			_, err := ordo.DoWithCompensation(ctx, name, &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 1, Delay: time.Second}},
				func(ctx context.Context) (string, product, error) {
					add("do " + name)
					return name, product{ID: name, Title: "before-" + name}, nil
				},
				func(ctx context.Context, prev product) error {
					add("undo " + prev.ID + " to " + prev.Title)
					if failComp && prev.ID == "two" {
						return errors.New("erp unreachable")
					}
					return nil
				})
			if err != nil {
				return "", err
			}
		}
		_, err := ordo.Do(ctx, "erp", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			return "", errors.New("erp rejected the update")
		})
		return "", err
	})
	_, inst, err := ordotest.Run(env, wf, false)
	if err == nil || inst.Status != ordo.StatusErrored {
		t.Fatalf("want errored, got %v %s", err, inst.Status)
	}
	want := []string{"do one", "do two", "do three", "undo three to before-three", "undo two to before-two", "undo one to before-one"}
	if !slices.Equal(log, want) {
		t.Fatalf("log = %q", log)
	}
	for _, s := range inst.Steps[:3] {
		if s.CompensationStatus != store.CompCompleted {
			t.Errorf("step %s compensation = %q", s.Key, s.CompensationStatus)
		}
	}

	// A compensation that keeps failing: the others still run, both errors show.
	log = nil
	_, inst, _ = ordotest.Run(env, wf, true)
	want = []string{"do one", "do two", "do three", "undo three to before-three", "undo two to before-two", "undo two to before-two", "undo one to before-one"}
	if !slices.Equal(log, want) {
		t.Fatalf("log = %q", log)
	}
	if inst.Status != ordo.StatusErrored || len(inst.Error.Compensations) != 1 || inst.Steps[1].CompensationStatus != store.CompFailed {
		t.Fatalf("error = %+v steps[1] = %+v", inst.Error, inst.Steps[1])
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	type approval struct {
		By string `json:"by"`
	}
	wf := ordo.NewWorkflow("approve", func(ctx context.Context, _ struct{}) (string, error) {
		a, err := ordo.WaitForEvent[approval](ctx, "await approval", "approved", time.Hour)
		if errors.Is(err, ordo.ErrEventTimeout) {
			return "timed out", nil
		}
		if err != nil {
			return "", err
		}
		return "approved by " + a.By, nil
	})
	env.Register(wf)

	// Sent after the wait started.
	id := env.Start("approve", struct{}{})
	env.WaitStatus(id, ordo.StatusWaiting)
	env.SendEvent(id, "approved", approval{By: "ann"})
	if got := env.WaitDone(id); string(got.Output) != `"approved by ann"` {
		t.Fatalf("output = %s", got.Output)
	}

	// Sent before the wait started: not lost.
	id2 := "early"
	if _, err := env.Engine.Create(context.Background(), "approve", nil, &ordo.CreateOptions{ID: id2}); err != nil {
		t.Fatal(err)
	}
	env.SendEvent(id2, "approved", approval{By: "bob"})
	if got := env.WaitDone(id2); string(got.Output) != `"approved by bob"` {
		t.Fatalf("output = %s", got.Output)
	}

	// Never sent: times out after an hour of virtual time.
	id3 := env.Start("approve", struct{}{})
	if got := env.WaitDone(id3); string(got.Output) != `"timed out"` {
		t.Fatalf("output = %s", got.Output)
	}
}

func TestParallelSteps(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
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

func TestReplacedSteps(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	wf := ordo.NewWorkflow("pay", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "payment", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			panic("the real payment must not run in this test")
		})
	})
	env.StepResult("payment", "fake-ok")
	out, _, err := ordotest.Run(env, wf, struct{}{})
	if err != nil || out != "fake-ok" {
		t.Fatalf("out=%q err=%v", out, err)
	}
	env.StepError("payment", ordo.NonRetryable(errors.New("declined")))
	if _, _, err := ordotest.Run(env, wf, struct{}{}); err == nil {
		t.Fatal("want error")
	}
}

func TestRegisterAndCreateErrors(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
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

func TestStepOutputTooLarge(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
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
