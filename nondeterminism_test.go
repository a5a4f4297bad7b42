package ordo_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

// TestNonDeterminism: an instance started on one code and replayed on code
// whose step calls no longer come in the recorded order stops errored
// with kind non_determinism and a message naming the recorded step and
// the one called instead; the new code's step does not run, nor do the
// compensations of the recorded steps.
func TestNonDeterminism(t *testing.T) {
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
	for _, bk := range matchStores {
		for _, tc := range tests {
			t.Run(bk.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				st := bk.open(t)
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
				for _, s := range tc.message {
					if !strings.Contains(in.Error.Message, s) {
						t.Errorf("message %q does not name %s", in.Error.Message, s)
					}
				}
				if n := newRan.Load(); n != tc.newRuns {
					t.Errorf("the new code ran %d steps or compensations (counter %d), want %d", n, n, tc.newRuns)
				}
			})
		}
	}
}
