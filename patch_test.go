package ordo_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// payFlow is a payment workflow: wait for "start", charge, wait for
// "ship". charge is the code between the waits (its output is the path
// taken).
func payFlow(charge func(ctx context.Context) (string, error)) ordo.Definition {
	return ordo.NewWorkflow("pay", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.WaitForEvent[struct{}](ctx, "start", "start", time.Hour); err != nil {
			return "", err
		}
		path, err := charge(ctx)
		if err != nil {
			return "", err
		}
		_, err = ordo.WaitForEvent[struct{}](ctx, "ship", "ship", time.Hour)
		return path, err
	})
}

func chargeStep(name, path string) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		return ordo.Do(ctx, name, nil, func(context.Context) (string, error) { return path, nil })
	}
}

// oldCharge is the code before the patch, patchedCharge the code with
// it, newCharge the code once the patch is deprecated.
var (
	oldCharge     = chargeStep("charge", "old")
	newCharge     = chargeStep("charge-3ds", "new")
	patchedCharge = func(ctx context.Context) (string, error) {
		if ordo.Patched(ctx, "charge-with-3ds") {
			return newCharge(ctx)
		}
		return oldCharge(ctx)
	}
)

// versionEngine starts an engine on st running def until the test ends
// or stop is called.
func versionEngine(t *testing.T, st store.Store, def ordo.Definition) (e *ordo.Engine, stop func()) {
	t.Helper()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger(), PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, e, def)
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Stop(ctx); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(stop)
	return e, stop
}

func createPay(t *testing.T, e *ordo.Engine, id string) {
	t.Helper()
	if _, err := e.Create(t.Context(), "pay", json.RawMessage(`{}`), &ordo.CreateOptions{ID: id}); err != nil {
		t.Fatal(err)
	}
}

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

func send(t *testing.T, e *ordo.Engine, id string, types ...string) {
	t.Helper()
	for _, typ := range types {
		if err := e.SendEvent(t.Context(), id, typ, struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
}

func hasPatchMarker(in *ordo.Instance) bool {
	for _, s := range in.Steps {
		if s.Kind == store.KindPatch && s.Key == store.PatchKey("charge-with-3ds") {
			return true
		}
	}
	return false
}

// TestPatched: instances started on the old code and past the patch point
// keep the old path after a restart on the patched code; those not yet
// there, and new ones, take the new path and record the marker; once the
// patch is deprecated (the if-else replaced by the new code) the marked
// instances replay unchanged.
func TestPatched(t *testing.T) {
	for _, bk := range matchStores {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			st := bk.open(t)
			old, stopOld := versionEngine(t, st, payFlow(oldCharge))
			createPay(t, old, "past")   // charges on the old code, then waits to ship
			createPay(t, old, "before") // waits to start: has not reached the patch
			send(t, old, "past", "start")
			waitingOn(t, old, "past", "ship#1")
			waitingOn(t, old, "before", "start#1")
			stopOld()

			patched, stopPatched := versionEngine(t, st, payFlow(patchedCharge))
			createPay(t, patched, "new")
			send(t, patched, "past", "ship")
			send(t, patched, "before", "start", "ship")
			send(t, patched, "new", "start")
			waitingOn(t, patched, "new", "ship#1")
			for id, want := range map[string]string{"past": `"old"`, "before": `"new"`} {
				in := waitDone(t, patched, id)
				if in.Status != ordo.StatusComplete || string(in.Output) != want {
					t.Errorf("%s: %s %s %+v, want complete with %s", id, in.Status, in.Output, in.Error, want)
				}
				if got := hasPatchMarker(in); got != (want == `"new"`) {
					t.Errorf("%s: patch marker %v, want %v", id, got, !got)
				}
			}
			stopPatched()

			// Deprecated: the new code alone replays the marked instance.
			deprecated, _ := versionEngine(t, st, payFlow(newCharge))
			send(t, deprecated, "new", "ship")
			if in := waitDone(t, deprecated, "new"); in.Status != ordo.StatusComplete || string(in.Output) != `"new"` || !hasPatchMarker(in) {
				t.Errorf("new after deprecation: %s %s %+v marker %v, want complete with \"new\" and the marker",
					in.Status, in.Output, in.Error, hasPatchMarker(in))
			}
		})
	}
}

// TestPatchedOnce: within a run the first answer holds; an invalid id
// fails the instance as a panic; outside a workflow Patched is true.
func TestPatchedOnce(t *testing.T) {
	if !ordo.Patched(context.Background(), "x") {
		t.Error("Patched outside a workflow: false, want true")
	}
	st := newMemStore()
	e, _ := versionEngine(t, st, ordo.NewWorkflow("pay", func(ctx context.Context, id string) ([]bool, error) {
		a := ordo.Patched(ctx, id)
		if _, err := ordo.Do(ctx, "s", nil, func(context.Context) (int, error) { return 1, nil }); err != nil {
			return nil, err
		}
		return []bool{a, ordo.Patched(ctx, id)}, nil
	}))
	for _, tc := range []struct{ id, params, status, output string }{
		{"ok", `"p1"`, "complete", `[true,true]`},
		{"empty", `""`, "errored", ``},
		{"long", `"` + strings.Repeat("p", 201) + `"`, "errored", ``},
	} {
		if _, err := e.Create(t.Context(), "pay", json.RawMessage(tc.params), &ordo.CreateOptions{ID: tc.id}); err != nil {
			t.Fatal(err)
		}
		in := waitDone(t, e, tc.id)
		if string(in.Status) != tc.status || tc.output != "" && string(in.Output) != tc.output {
			t.Errorf("%s: %s %s, want %s %s", tc.id, in.Status, in.Output, tc.status, tc.output)
		}
		if tc.status == "errored" && (in.Error == nil || in.Error.Kind != store.ErrorKindPanic) {
			t.Errorf("%s: error %+v, want kind panic", tc.id, in.Error)
		}
	}
}
