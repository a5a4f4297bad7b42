package enginetest

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
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

func createPay(t *testing.T, e *ordo.Engine, id string) {
	t.Helper()
	if _, err := e.Create(t.Context(), "pay", json.RawMessage(`{}`), &ordo.CreateOptions{ID: id}); err != nil {
		t.Fatal(err)
	}
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

// testPatched: instances started on the old code and past the patch point
// keep the old path after a restart on the patched code; those not yet
// there, and new ones, take the new path and record the marker; once the
// patch is deprecated (the if-else replaced by the new code) the marked
// instances replay unchanged.
func testPatched(t *testing.T, s Suite) {
	st := s.Open(t)
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
}

// testPatchedOnce: within a run the first answer holds; an invalid id
// fails the instance as a panic; outside a workflow Patched is true.
func testPatchedOnce(t *testing.T, s Suite) {
	if !ordo.Patched(context.Background(), "x") {
		t.Error("Patched outside a workflow: false, want true")
	}
	st := s.Open(t)
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

// testNonDeterminism: an instance started on one code and replayed on code
// whose step calls no longer come in the recorded order stops errored
// with kind non_determinism and a message naming the recorded step and
// the one called instead; the new code's step does not run, nor do the
// compensations of the recorded steps.
func testNonDeterminism(t *testing.T, s Suite) {
	type op func(ctx context.Context, ran *atomic.Int32) error
	do := func(name string) op {
		return func(ctx context.Context, ran *atomic.Int32) error {
			_, err := ordo.Do(ctx, name, nil, func(context.Context) (int, error) { ran.Add(1); return 1, nil })
			return err
		}
	}
	compensated := func(name string) op {
		return func(ctx context.Context, ran *atomic.Int32) error {
			_, err := ordo.DoWithCompensation(ctx, name, nil,
				func(context.Context) (int, int, error) { return 1, 1, nil },
				func(context.Context, int) error { ran.Add(100); return nil })
			return err
		}
	}
	wait := func(ctx context.Context, _ *atomic.Int32) error {
		_, err := ordo.WaitForEvent[struct{}](ctx, "ship", "ship", time.Hour)
		return err
	}
	sleep := func(ctx context.Context, _ *atomic.Int32) error { return ordo.Sleep(ctx, "ship", time.Hour) }
	workflow := func(ran *atomic.Int32, ops ...op) ordo.Definition {
		return ordo.NewWorkflow("nd", func(ctx context.Context, _ struct{}) (int, error) {
			for _, o := range ops {
				if err := o(ctx, ran); err != nil {
					return 0, err
				}
			}
			return 1, nil
		})
	}
	tests := []struct {
		name     string
		old, new []op
		message  []string // the message names these
		newRuns  int32    // steps of the new code that may run (the replay answers the others)
	}{
		{"step inserted", []op{compensated("a"), wait}, []op{compensated("a"), do("inserted"), wait},
			[]string{`"ship#1" (event) at position 1`, `calls "inserted#1" (do)`}, 0},
		{"step removed", []op{compensated("a"), do("b"), wait}, []op{compensated("a"), wait},
			[]string{`"b#1" (do) at position 1`, `calls "ship#1" (event)`}, 0},
		{"step renamed", []op{compensated("a"), do("charge"), wait}, []op{compensated("a"), do("charge-v2"), wait},
			[]string{`"charge#1" (do) at position 1`, `calls "charge-v2#1" (do)`}, 0},
		{"kind changed", []op{compensated("a"), wait}, []op{compensated("a"), sleep},
			[]string{`step "ship#1" was recorded as a event call but is now a sleep call`}, 0},
		{"workflow returns first", []op{compensated("a"), wait}, []op{compensated("a")},
			[]string{`"ship#1" (event) at position 1`, "returned without calling it"}, 0},
		{"steps reordered", []op{compensated("a"), do("b"), wait}, []op{do("b"), compensated("a"), wait},
			[]string{`"a#1" (do) at position 0`, `calls "b#1" (do)`}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := s.Open(t)
			var oldRan, newRan atomic.Int32
			old, stop := versionEngine(t, st, workflow(&oldRan, tc.old...))
			if _, err := old.Create(t.Context(), "nd", json.RawMessage(`{}`), &ordo.CreateOptions{ID: "i"}); err != nil {
				t.Fatal(err)
			}
			waitingOn(t, old, "i", "ship#1")
			stop()
			e, _ := versionEngine(t, st, workflow(&newRan, tc.new...))
			if err := e.SendEvent(t.Context(), "i", "ship", struct{}{}); err != nil {
				t.Fatal(err)
			}
			in := waitDone(t, e, "i")
			if in.Status != ordo.StatusErrored || in.Error == nil || in.Error.Kind != ordo.ErrorKindNonDeterminism {
				t.Fatalf("status %s error %+v, want errored with kind %s", in.Status, in.Error, ordo.ErrorKindNonDeterminism)
			}
			for _, want := range tc.message {
				if !strings.Contains(in.Error.Message, want) {
					t.Errorf("message %q does not name %s", in.Error.Message, want)
				}
			}
			if n := newRan.Load(); n != tc.newRuns {
				t.Errorf("the new code ran %d steps or compensations (counter %d), want %d", n, n, tc.newRuns)
			}
		})
	}
}

// versionEngine starts an engine on st running def until the test ends
// or stop is called.
func versionEngine(t *testing.T, st store.Store, def ordo.Definition) (e *ordo.Engine, stop func()) {
	t.Helper()
	e = newEngine(t, ordo.Config{Store: st, PollInterval: 5 * time.Millisecond})
	mustRegister(t, e, def)
	startEngine(t, e)
	return e, func() { stopEngine(t, e) }
}
