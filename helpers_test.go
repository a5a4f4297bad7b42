package ordo_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

func newMemStore() store.Store { return memory.New() }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustRegister(t *testing.T, e *ordo.Engine, defs ...ordo.Definition) {
	t.Helper()
	if err := e.Register(defs...); err != nil {
		t.Fatal(err)
	}
}

func startEngine(t *testing.T, e *ordo.Engine) {
	t.Helper()
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopOnCleanup(t, e)
}

// stopOnCleanup stops e when the test ends. An engine that only creates
// (never started) needs it too: its first Create starts the committer's
// goroutine, which Stop ends.
func stopOnCleanup(t *testing.T, e *ordo.Engine) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
}

// waitFor polls the instance until cond holds or 20 s pass.
func waitFor(t *testing.T, e *ordo.Engine, id string, what string, cond func(*ordo.Instance) bool) *ordo.Instance {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var inst *ordo.Instance
	var err error
	for time.Now().Before(deadline) {
		inst, err = e.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(inst) {
			return inst
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("instance %s: timed out waiting for %s; status %s", id, what, inst.Status)
	return nil
}

func waitDone(t *testing.T, e *ordo.Engine, id string) *ordo.Instance {
	t.Helper()
	return waitFor(t, e, id, "a terminal status", func(i *ordo.Instance) bool { return i.Status.Terminal() })
}
