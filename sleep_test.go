package ordo_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
)

func TestSleepUntilAndJitter(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	env := ordotest.New(t, &ordotest.Options{Start: start})
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

	p := ordo.RetryPolicy{Delay: time.Second, Backoff: ordo.BackoffConstant, Jitter: true}
	lo, hi := time.Hour, time.Duration(0)
	for range 200 {
		d := p.NextDelay(1)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 0 || hi > time.Second || hi-lo < 500*time.Millisecond {
		t.Fatalf("jittered delays span [%s, %s], want spread within [0, 1s]", lo, hi)
	}
}

func TestParallelStepsReplayAfterRestart(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
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
