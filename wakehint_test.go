package ordo_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// slowNextWake is a store whose NextWakeAt answer arrives a little late:
// it reads the next wake-up time, then takes 5 ms to return it.
type slowNextWake struct{ store.Store }

func (s *slowNextWake) NextWakeAt(ctx context.Context) (time.Time, bool, error) {
	at, ok, err := s.Store.NextWakeAt(ctx)
	time.Sleep(5 * time.Millisecond) // the answer's way back from a busy database
	return at, ok, err
}

// TestWakeUpNotLost: a run that stores a wake-up time while the idle claim
// loop is between reading the next wake-up time and going to sleep must
// still wake it. The engine polls once an hour here (ordotest), so a lost
// wake-up leaves an instance waiting past its time and the test times out.
// The store answers NextWakeAt late (as a busy database does), so runs
// store their wake-up times while the loop waits for that answer.
func TestWakeUpNotLost(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, &ordotest.Options{Store: &slowNextWake{Store: memory.New()}})
	nap := ordo.NewWorkflow("nap", func(ctx context.Context, n int) (int, error) {
		for i := range 25 {
			if _, err := ordo.Do(ctx, "work", nil, func(context.Context) (int, error) { return i, nil }); err != nil {
				return 0, err
			}
			if err := ordo.Sleep(ctx, "rest", time.Duration(1+n%3)*time.Second); err != nil {
				return 0, err
			}
		}
		return n, nil
	})
	env.Register(nap)
	ids := make([]string, 4)
	for n := range ids {
		ids[n] = env.Start("nap", n)
	}
	for n, id := range ids {
		final := env.WaitDone(id)
		if final.Status != ordo.StatusComplete || string(final.Output) != fmt.Sprint(n) {
			t.Fatalf("%s: %s with output %s, want complete with %d", id, final.Status, final.Output, n)
		}
	}
}

// clockMovingStore is a store whose NextWakeAt, before it answers, sets
// the test's clock to the answer, as ordotest's WaitStatus does from
// another goroutine when nothing runs and the instance's wake-up is ahead.
type clockMovingStore struct {
	store.Store
	clock *ordotest.Clock
}

func (s *clockMovingStore) NextWakeAt(ctx context.Context) (time.Time, bool, error) {
	at, ok, err := s.Store.NextWakeAt(ctx)
	if err == nil && ok {
		s.clock.Set(at)
	}
	return at, ok, err
}

// TestIdleTimerAfterClockMoved: the idle claim loop waits until the next
// wake-up time, not for a duration measured before the clock moved: a
// timer of the whole wait made after the clock reached the wake-up would
// fire an hour late, on a clock nobody sets again, and the instance would
// wait for ever.
func TestIdleTimerAfterClockMoved(t *testing.T) {
	t.Parallel()
	clock := ordotest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e, err := ordo.NewEngine(ordo.Config{Store: &clockMovingStore{Store: memory.New(), clock: clock}, Clock: clock,
		PollInterval: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	nap := ordo.NewWorkflow("nap", func(ctx context.Context, _ struct{}) (string, error) {
		if err := ordo.Sleep(ctx, "rest", time.Hour); err != nil {
			return "", err
		}
		return "rested", nil
	})
	if err := e.Register(nap); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	in, err := nap.Create(t.Context(), e, struct{}{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := e.Get(t.Context(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == ordo.StatusComplete {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s is %s (wake at %v, clock at %v), want complete", in.ID, got.Status, got.WakeAt, clock.Now())
		}
		time.Sleep(5 * time.Millisecond) // real time: the engine runs on other goroutines
	}
}

// failingClaims is a store whose first claims fail, as a database that is
// briefly unreachable.
type failingClaims struct {
	store.Store
	left atomic.Int32
}

func (s *failingClaims) InstanceClaim(ctx context.Context, p *store.ClaimParams) ([]*store.Instance, error) {
	if s.left.Add(-1) >= 0 {
		return nil, errors.New("connection refused")
	}
	return s.Store.InstanceClaim(ctx, p)
}

// TestClaimFaultInVirtualTime: a failed claim is tried again after a
// backoff on the engine's clock, which ordotest advances to it
// (Engine.StoreRetryAt), so a store fault costs no real time: without it
// the sleeping instance below, due after the clock moved to its wake-up,
// waits for a claim loop asleep on a timer nobody reaches.
func TestClaimFaultInVirtualTime(t *testing.T) {
	t.Parallel()
	st := &failingClaims{Store: memory.New()}
	st.left.Store(3)
	env := ordotest.New(t, &ordotest.Options{Store: st, Timeout: 30 * time.Second})
	nap := ordo.NewWorkflow("nap", func(ctx context.Context, _ struct{}) (string, error) {
		if err := ordo.Sleep(ctx, "rest", time.Hour); err != nil {
			return "", err
		}
		return "rested", nil
	})
	_, final, err := ordotest.Run(env, nap, struct{}{})
	if err != nil || final.Status != ordo.StatusComplete {
		t.Fatalf("instance %s: %v", final.Status, err)
	}
	if left := st.left.Load(); left >= 0 {
		t.Fatalf("%d claim faults left unused; the test proves nothing", left+1)
	}
}
