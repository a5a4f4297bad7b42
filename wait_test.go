package ordo_test

import (
	"context"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
)

// TestWaitOnEngineClock: Engine.Wait polls on the engine's clock (its
// first look-again is a 5 ms timer on the virtual clock, then 10 ms) and
// returns as soon as this engine finishes the instance, with the virtual
// clock left where it was.
func TestWaitOnEngineClock(t *testing.T) {
	t.Parallel()
	wf := ordo.NewWorkflow("waits", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.WaitForEvent[string](ctx, "payment", "paid", 0)
	})
	env := ordotest.New(t, nil)
	env.Register(wf)
	id := env.Start("waits", struct{}{})
	env.WaitStatus(id, ordo.StatusWaiting)

	type result struct {
		inst *ordo.Instance
		err  error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		inst, err := env.Engine.Wait(ctx, id)
		done <- result{inst, err}
	}()
	waitTimer := func(d time.Duration) {
		t.Helper()
		want := env.Clock.Now().Add(d)
		deadline := time.Now().Add(20 * time.Second)
		for {
			if at, ok := env.Clock.NextTimer(); ok && at.Equal(want) {
				return
			}
			if time.Now().After(deadline) {
				at, _ := env.Clock.NextTimer()
				t.Fatalf("next virtual timer at %s, want Wait's at %s", at, want)
			}
			time.Sleep(time.Millisecond) // another goroutine arms the timer
		}
	}
	waitTimer(5 * time.Millisecond)
	env.Clock.Advance(5 * time.Millisecond)
	waitTimer(10 * time.Millisecond)
	before := env.Clock.Now()

	env.SendEvent(id, "paid", "yes")
	res := <-done
	if res.err != nil || res.inst.Status != ordo.StatusComplete {
		t.Fatalf("Wait: %+v, %v; want complete", res.inst, res.err)
	}
	if !env.Clock.Now().Equal(before) {
		t.Errorf("the virtual clock moved from %s to %s", before, env.Clock.Now())
	}
}
