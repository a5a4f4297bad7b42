package enginetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

func testFinishedStepNeverRerunsAfterEngineRestart(t *testing.T, s Suite) {
	env := s.Env(t, nil)
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

// testSleepUntil: SleepUntil wakes at the time given, on the virtual
// clock; a time in the past returns at once.
func testSleepUntil(t *testing.T, s Suite) {
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	env := s.Env(t, &ordotest.Options{Start: start})
	deadline := start.Add(36 * time.Hour)
	wf := ordo.NewWorkflow("until", func(ctx context.Context, _ struct{}) (string, error) {
		if err := ordo.SleepUntil(ctx, "until monday", deadline); err != nil {
			return "", err
		}
		// In the past: returns at once.
		if err := ordo.SleepUntil(ctx, "already past", start); err != nil {
			return "", err
		}
		return "woke", nil
	})
	out, inst, err := ordotest.Run(env, wf, struct{}{})
	if err != nil || out != "woke" {
		t.Fatalf("out %q err %v", out, err)
	}
	if !inst.FinishedAt.Equal(deadline) {
		t.Fatalf("finished at %s, want %s", inst.FinishedAt, deadline)
	}

}

func testParallelStepsReplayAfterRestart(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var runs [4]atomic.Int32
	wf := ordo.NewWorkflow("fan-sleep", func(ctx context.Context, _ struct{}) (int, error) {
		fs := make([]*ordo.Future[int], 4)
		for i := range fs {
			fs[i] = ordo.Go(ctx, fmt.Sprintf("p%d", i), nil, func(ctx context.Context) (int, error) {
				runs[i].Add(1)
				return i, nil
			})
		}
		sum := 0
		for _, f := range fs {
			v, err := f.Get(ctx)
			if err != nil {
				return 0, err
			}
			sum += v
		}
		if err := ordo.Sleep(ctx, "overnight", 12*time.Hour); err != nil {
			return 0, err
		}
		return sum, nil
	})
	env.Register(wf)
	id := env.Start("fan-sleep", struct{}{})
	env.WaitStatus(id, ordo.StatusWaiting)
	if err := env.Engine.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	env2 := ordotest.New(t, &ordotest.Options{Store: env.Store, Start: env.Clock.Now()})
	env2.Register(wf)
	final := env2.WaitDone(id)
	if string(final.Output) != "6" {
		t.Fatalf("output %s", final.Output)
	}
	for i := range runs {
		if n := runs[i].Load(); n != 1 {
			t.Errorf("p%d ran %d times", i, n)
		}
	}
}
