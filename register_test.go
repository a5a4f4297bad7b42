package ordo_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// TestRegisterOnStartedEngineClaims: registering a workflow on a running
// engine whose claim loop is idle (its next poll an hour away on the
// virtual clock) claims that workflow's instances already in the store at
// once.
func TestRegisterOnStartedEngineClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := newMemStore()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger(), Clock: ordotest.NewClock(start), PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	done := func(name string) ordo.Definition {
		return ordo.NewWorkflow(name, func(context.Context, struct{}) (string, error) { return name, nil })
	}
	insert := func(id, workflow string) {
		t.Helper()
		if _, err := st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: id, Workflow: workflow, Params: json.RawMessage(`{}`), Now: start}); err != nil {
			t.Fatal(err)
		}
	}
	mustRegister(t, e, done("first"))
	insert("a", "first")
	startEngine(t, e)
	// The run's end wakes the claim loop, which then finds nothing and idles.
	if got := waitDone(t, e, "a"); got.Status != ordo.StatusComplete {
		t.Fatalf("a: %s", got.Status)
	}
	insert("b", "second")
	mustRegister(t, e, done("second"))
	if got := waitDone(t, e, "b"); got.Status != ordo.StatusComplete {
		t.Fatalf("b: %s", got.Status)
	}
}
