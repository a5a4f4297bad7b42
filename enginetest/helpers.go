package enginetest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustRegister(t *testing.T, e *ordo.Engine, defs ...ordo.Definition) {
	t.Helper()
	if err := e.Register(defs...); err != nil {
		t.Fatal(err)
	}
}

// newEngine returns an engine on st with the virtual clock c (not
// started), stopped when the test ends.
func newEngine(t *testing.T, cfg ordo.Config) *ordo.Engine {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	e, err := ordo.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return e
}

func startEngine(t *testing.T, e *ordo.Engine) {
	t.Helper()
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func stopEngine(t *testing.T, e *ordo.Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds, failing the test after 2 min:
// the deadline only bounds a failing test, so it is generous enough for a
// CI machine saturated by other work.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // the engine works on other goroutines
	}
}

// waitFor polls the instance until cond holds or 2 min pass.
func waitFor(t *testing.T, e *ordo.Engine, id string, what string, cond func(*ordo.Instance) bool) *ordo.Instance {
	t.Helper()
	var inst *ordo.Instance
	eventually(t, "instance "+id+": "+what, func() bool {
		var err error
		if inst, err = e.Get(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		return cond(inst)
	})
	return inst
}

func waitDone(t *testing.T, e *ordo.Engine, id string) *ordo.Instance {
	t.Helper()
	return waitFor(t, e, id, "a terminal status", func(i *ordo.Instance) bool { return i.Status.Terminal() })
}

// waitIdle waits until no instance holds a worker of e (a run that
// released its instance finishes its bookkeeping after the commit).
func waitIdle(t *testing.T, e *ordo.Engine) {
	t.Helper()
	eventually(t, "no instance holding a worker", func() bool { return e.Active() == 0 })
}

// waitChildStatus waits until the instance exists (a parent creates it)
// and has status.
func waitChildStatus(t *testing.T, env *ordotest.Env, id string, status ordo.Status) *ordo.Instance {
	t.Helper()
	eventually(t, "child "+id+" created", func() bool {
		_, err := env.Engine.Get(t.Context(), id)
		if err != nil && !errors.Is(err, ordo.ErrNotFound) {
			t.Fatalf("child %s: %v", id, err)
		}
		return err == nil
	})
	return env.WaitStatus(id, status)
}

// createWith creates an instance of workflow with the JSON params and id.
func createWith(t *testing.T, env *ordotest.Env, id, workflow, params string) {
	t.Helper()
	if _, err := env.Engine.Create(t.Context(), workflow, []byte(params), &ordo.CreateOptions{ID: id}); err != nil {
		t.Fatal(err)
	}
}

// outputOf waits for the instance to complete and returns its output.
func outputOf(t *testing.T, env *ordotest.Env, id string) string {
	t.Helper()
	got := env.WaitDone(id)
	if got.Status != ordo.StatusComplete {
		t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
	}
	return string(got.Output)
}

func stepByKey(in *ordo.Instance, key string) *ordo.StepRecord {
	for _, st := range in.Steps {
		if st.Key == key {
			return st
		}
	}
	return &ordo.StepRecord{}
}

// waitingOn waits until the instance waits on step.
func waitingOn(t *testing.T, e *ordo.Engine, id, step string) {
	t.Helper()
	waitFor(t, e, id, "waiting on "+step, func(in *ordo.Instance) bool {
		if in.Status != ordo.StatusWaiting {
			return false
		}
		for _, s := range in.Steps {
			if s.Key == step && s.Status == store.StepWaiting {
				return true
			}
		}
		return false
	})
}

// gate blocks a step until the test opens it.
type gate struct {
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 16), open: make(chan struct{})} }

func (g *gate) wait(ctx context.Context) error {
	g.entered <- struct{}{}
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
