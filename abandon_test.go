package ordo_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// logBuffer collects log lines written from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// stubborn is a workflow whose one step ignores its context: it returns
// only when release is closed.
type stubborn struct {
	e        *ordo.Engine
	clock    *ordotest.Clock
	logs     *logBuffer
	started  chan struct{}
	release  chan struct{}
	attempts atomic.Int32
}

func setupStubborn(t *testing.T, st store.Store) *stubborn {
	t.Helper()
	s := &stubborn{
		clock: ordotest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), logs: &logBuffer{},
		started: make(chan struct{}, 8), release: make(chan struct{}),
	}
	// until moves the virtual clock a second every 5 ms of real time: with
	// the default 30 s lease, a heartbeat held up for 100 ms on a loaded
	// machine let the lease lapse, and the run's final commit was refused
	// (the instance stayed running, nobody to reclaim it). An hour's lease
	// outlasts any until.
	e, err := ordo.NewEngine(ordo.Config{Store: st, Clock: s.clock, PollInterval: time.Hour, AbandonGrace: 5 * time.Second,
		LeaseDuration: time.Hour, Logger: slog.New(slog.NewTextHandler(s.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.e = e
	wf := ordo.NewWorkflow("stubborn", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "spin", &ordo.StepOptions{Timeout: time.Minute, Retries: &ordo.RetryPolicy{Limit: 3}},
			func(ctx context.Context) (string, error) {
				s.attempts.Add(1)
				s.started <- struct{}{}
				<-s.release // ignores ctx
				return "late", nil
			})
	})
	mustRegister(t, e, wf)
	startEngine(t, e)
	t.Cleanup(s.free) // before the engine stops: cleanups run last first
	return s
}

// free lets the stubborn step return (once).
func (s *stubborn) free() {
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

// awaitStart waits until an attempt started.
func (s *stubborn) awaitStart(t *testing.T) {
	t.Helper()
	select {
	case <-s.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the step did not start")
	}
}

// until advances the virtual clock a second at a time until cond holds,
// failing after 60 s of real time.
func (s *stubborn) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; logs:\n%s", what, s.logs)
		}
		s.clock.Advance(time.Second)
		// Real time, so the engine's goroutines (heartbeats, the run) keep
		// up with the virtual clock on a loaded machine.
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStepIgnoringItsContextIsAbandoned: an attempt that has not returned
// AbandonGrace after its timeout is recorded as abandoned (persisted, in
// the step's history and the instance's error), not retried, logged, and
// counted until its goroutine finally returns. On the memory store and on
// SQLite.
func TestStepIgnoringItsContextIsAbandoned(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) store.Store{
		"memory": func(*testing.T) store.Store { return newMemStore() },
		"sqlite": func(t *testing.T) store.Store {
			st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ordo.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := setupStubborn(t, open(t))
			inst, err := s.e.Create(t.Context(), "stubborn", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			s.awaitStart(t)
			s.clock.Advance(time.Minute) // the attempt's timeout: its context is cancelled, and ignored
			s.until(t, "the attempt to be abandoned", func() bool { return s.e.AbandonedAttempts() == 1 })
			final := waitDone(t, s.e, inst.ID)

			if final.Status != ordo.StatusErrored || final.Error == nil || final.Error.Kind != store.ErrorKindAbandoned {
				t.Fatalf("instance %s, error %+v; want errored with kind abandoned", final.Status, final.Error)
			}
			st := final.Steps[0]
			if st.Status != store.StepFailed || st.Attempts != 1 || len(st.History) != 1 {
				t.Fatalf("step %s after %d attempts, history %+v; want failed after 1, no retry", st.Status, st.Attempts, st.History)
			}
			if e := st.History[0].Error; e == nil || e.Kind != store.ErrorKindAbandoned || !strings.Contains(e.Message, "ignored its context") {
				t.Errorf("attempt error %+v; want kind abandoned saying the step ignored its context", e)
			}
			if n := s.attempts.Load(); n != 1 {
				t.Errorf("the step ran %d times; an abandoned attempt must not be retried beside itself", n)
			}
			if !strings.Contains(s.logs.String(), "abandoned a step attempt that ignores its context") {
				t.Errorf("the abandonment was not logged:\n%s", s.logs)
			}

			s.free()
			s.until(t, "the abandoned attempt to return", func() bool { return s.e.AbandonedAttempts() == 0 })
			if !strings.Contains(s.logs.String(), "an abandoned step attempt returned") {
				t.Errorf("the late return was not logged:\n%s", s.logs)
			}
			if got, _ := s.e.Get(t.Context(), inst.ID); got.Status != ordo.StatusErrored || got.Output != nil {
				t.Errorf("the late result changed the instance: %s, output %s", got.Status, got.Output)
			}
		})
	}
}

// TestTerminatedStepIgnoringItsContextIsCounted: an attempt still running
// AbandonGrace after its instance was terminated is counted and logged
// too (it is not recorded: the instance is gone).
func TestTerminatedStepIgnoringItsContextIsCounted(t *testing.T) {
	t.Parallel()
	s := setupStubborn(t, newMemStore())
	inst, err := s.e.Create(t.Context(), "stubborn", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.awaitStart(t)
	if _, err := s.e.Terminate(t.Context(), inst.ID); err != nil {
		t.Fatal(err)
	}
	s.until(t, "the attempt to be counted as abandoned", func() bool { return s.e.AbandonedAttempts() == 1 })
	if !strings.Contains(s.logs.String(), "reason=\"the run stopped\"") {
		t.Errorf("the abandonment was not logged with its reason:\n%s", s.logs)
	}
	s.free()
	s.until(t, "the abandoned attempt to return", func() bool { return s.e.AbandonedAttempts() == 0 })
}
