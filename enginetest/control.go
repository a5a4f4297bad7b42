package enginetest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

func testPauseResumeTerminate(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	g := newGate()
	var after atomic.Int32
	wf := ordo.NewWorkflow("gated", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.Do(ctx, "blocked", nil, func(ctx context.Context) (int, error) { return 1, g.wait(ctx) }); err != nil {
			return "", err
		}
		return ordo.Do(ctx, "after", nil, func(ctx context.Context) (string, error) { after.Add(1); return "done", nil })
	})
	env.Register(wf)
	ctx := context.Background()
	e := env.Engine

	// Pause while a step runs: the step finishes and is recorded, the next does not start.
	id := env.Start("gated", struct{}{})
	<-g.entered
	if _, err := e.Pause(ctx, id); err != nil {
		t.Fatal(err)
	}
	close(g.open)
	paused := env.WaitStatus(id, ordo.StatusPaused)
	waitFor(t, e, id, "lease released", func(i *ordo.Instance) bool { return i.LeaseOwner == "" && len(i.Steps) == 1 })
	if after.Load() != 0 {
		t.Fatalf("step after pause ran")
	}
	if _, err := e.Pause(ctx, id); !errors.Is(err, ordo.ErrInvalidTransition) {
		t.Fatalf("pause of paused: %v", err)
	}
	_ = paused
	if _, err := e.Resume(ctx, id); err != nil {
		t.Fatal(err)
	}
	if final := env.WaitDone(id); final.Status != ordo.StatusComplete || after.Load() != 1 {
		t.Fatalf("after resume: %s, after ran %d", final.Status, after.Load())
	}
	if _, err := e.Resume(ctx, id); !errors.Is(err, ordo.ErrInvalidTransition) {
		t.Fatalf("resume of complete: %v", err)
	}
	if _, err := e.Terminate(ctx, id); !errors.Is(err, ordo.ErrInvalidTransition) {
		t.Fatalf("terminate of complete: %v", err)
	}

	// Terminate while a step runs: its context is cancelled.
	g2 := newGate()
	wf2 := ordo.NewWorkflow("gated2", func(ctx context.Context, _ struct{}) (int, error) {
		return ordo.Do(ctx, "blocked", nil, func(ctx context.Context) (int, error) { return 1, g2.wait(ctx) })
	})
	env.Register(wf2)
	id2 := env.Start("gated2", struct{}{})
	<-g2.entered
	if _, err := e.Terminate(ctx, id2); err != nil {
		t.Fatal(err)
	}
	final := waitFor(t, e, id2, "terminated and released", func(i *ordo.Instance) bool {
		return i.Status == ordo.StatusTerminated && i.LeaseOwner == ""
	})
	if len(final.Steps) != 0 || final.FinishedAt == nil {
		t.Fatalf("terminated instance = %+v", final)
	}
	if _, err := e.Get(ctx, "missing"); !errors.Is(err, ordo.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	if _, err := e.Pause(ctx, "missing"); !errors.Is(err, ordo.ErrNotFound) {
		t.Fatalf("pause missing: %v", err)
	}
}

func testRestartFromStepKeepsEarlierResults(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var payments, ships atomic.Int32
	var shipFails atomic.Bool
	shipFails.Store(true)
	wf := ordo.NewWorkflow("order", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.Do(ctx, "payment", nil, func(ctx context.Context) (string, error) { payments.Add(1); return "paid", nil }); err != nil {
			return "", err
		}
		return ordo.Do(ctx, "ship", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			ships.Add(1)
			if shipFails.Load() {
				return "", errors.New("carrier down")
			}
			return "shipped", nil
		})
	})
	env.Register(wf)
	ctx := context.Background()
	id := env.Start("order", struct{}{})
	if got := env.WaitDone(id); got.Status != ordo.StatusErrored {
		t.Fatalf("status = %s", got.Status)
	}
	shipFails.Store(false)
	if _, err := env.Engine.Restart(ctx, id, &ordo.RestartOptions{FromStep: "ship"}); err != nil {
		t.Fatal(err)
	}
	got := env.WaitDone(id)
	if got.Status != ordo.StatusComplete || payments.Load() != 1 || ships.Load() != 2 || got.Error != nil {
		t.Fatalf("status %s payments %d ships %d error %+v", got.Status, payments.Load(), ships.Load(), got.Error)
	}
	// From the beginning: everything runs again.
	if _, err := env.Engine.Restart(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	env.WaitStatus(id, ordo.StatusQueued, ordo.StatusRunning, ordo.StatusComplete)
	if got := env.WaitDone(id); got.Status != ordo.StatusComplete || payments.Load() != 2 {
		t.Fatalf("status %s payments %d", got.Status, payments.Load())
	}
	if _, err := env.Engine.Restart(ctx, id, &ordo.RestartOptions{FromStep: "nope"}); !errors.Is(err, ordo.ErrNotFound) {
		t.Fatalf("restart from unknown step: %v", err)
	}
}

func testRestartRefusedAfterCompensation(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	wf := ordo.NewWorkflow("saga2", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.DoWithCompensation(ctx, "reserve", nil,
			func(ctx context.Context) (string, string, error) { return "r", "undo-data", nil },
			func(ctx context.Context, data string) error { return nil }); err != nil {
			return "", err
		}
		return ordo.Do(ctx, "fail", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			return "", errors.New("no")
		})
	})
	env.Register(wf)
	id := env.Start("saga2", struct{}{})
	got := env.WaitDone(id)
	if got.Status != ordo.StatusErrored || got.Steps[0].CompensationStatus != store.CompCompleted {
		t.Fatalf("got %+v", got.Steps[0])
	}
	if _, err := env.Engine.Restart(context.Background(), id, &ordo.RestartOptions{FromStep: "fail"}); !errors.Is(err, ordo.ErrInvalidTransition) {
		t.Fatalf("restart after compensation: %v", err)
	}
}

func testGracefulStopReleasesLeases(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	g := newGate()
	wf := ordo.NewWorkflow("held", func(ctx context.Context, _ struct{}) (int, error) {
		return ordo.Do(ctx, "held", nil, func(ctx context.Context) (int, error) { return 1, g.wait(ctx) })
	})
	env.Register(wf)
	id := env.Start("held", struct{}{})
	<-g.entered
	// The step never returns by itself: Stop's deadline passes, and the
	// lease is released all the same.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := env.Engine.Stop(ctx); err == nil {
		t.Fatal("want deadline error from Stop")
	}
	if err := env.Engine.Stop(context.Background()); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	got, err := env.Store.InstanceGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusQueued || got.LeaseOwner != "" {
		t.Fatalf("after stop: status %s owner %q", got.Status, got.LeaseOwner)
	}
	// A new engine finishes it.
	close(g.open)
	env2 := ordotest.New(t, &ordotest.Options{Store: env.Store, Start: env.Clock.Now()})
	env2.Register(wf)
	if final := env2.WaitDone(id); final.Status != ordo.StatusComplete {
		t.Fatalf("status %s", final.Status)
	}
}
