package ordo_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
)

// TestStepErrorKind: a step that failed for good gives the workflow a
// *StepError whose Kind is the kind recorded for its last attempt, both in
// the run where it failed (with the original error to inspect) and on
// replay after a sleep, when only the record is left.
func TestStepErrorKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		step      func() (string, error)
		want      ordo.ErrorKind
		wantCause func(error) bool // on the first run
	}{
		{"error", func() (string, error) { return "", errors.New("declined") }, ordo.ErrorKindStep,
			func(err error) bool { return err.Error() != "" }},
		{"non-retryable", func() (string, error) { return "", ordo.NonRetryable(errors.New("declined")) },
			ordo.ErrorKindNonRetryable, ordo.IsNonRetryable},
		{"panic", func() (string, error) { panic("card reader on fire") }, ordo.ErrorKindPanic,
			func(err error) bool {
				var pe *ordo.PanicError
				return errors.As(err, &pe) && pe.Step == "charge" && pe.Value == "card reader on fire"
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var firstKind, replayKind atomic.Value
			var causeOK, replayed atomic.Bool
			wf := ordo.NewWorkflow("kinds", func(ctx context.Context, _ struct{}) (string, error) {
				_, err := ordo.Do(ctx, "charge", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 0}},
					func(context.Context) (string, error) { return tc.step() })
				var se *ordo.StepError
				if !errors.As(err, &se) {
					return "", ordo.NonRetryable(errors.New("no StepError"))
				}
				if errors.Unwrap(se) != nil { // the run where it failed
					firstKind.Store(se.Kind)
					causeOK.Store(tc.wantCause(errors.Unwrap(se)))
				} else {
					replayed.Store(true)
					replayKind.Store(se.Kind)
				}
				if err := ordo.Sleep(ctx, "nap", time.Hour); err != nil {
					return "", err
				}
				return "", se
			})
			env := ordotest.New(t, nil)
			env.Register(wf)
			final := env.WaitDone(env.Start("kinds", struct{}{}))
			if final.Status != ordo.StatusErrored || final.Error == nil || final.Error.Kind != tc.want {
				t.Fatalf("instance %s, error %+v; want errored with kind %s", final.Status, final.Error, tc.want)
			}
			if got := final.Steps[0].Error; got == nil || got.Kind != tc.want {
				t.Errorf("step error %+v, want kind %s", got, tc.want)
			}
			if firstKind.Load() != tc.want || !causeOK.Load() {
				t.Errorf("first run: kind %v, cause inspectable %v; want %s, true", firstKind.Load(), causeOK.Load(), tc.want)
			}
			if !replayed.Load() || replayKind.Load() != tc.want {
				t.Errorf("replay: kind %v (replayed %v), want %s", replayKind.Load(), replayed.Load(), tc.want)
			}
		})
	}
}

// TestWorkflowPanicKind: a panic in workflow code errors the instance with
// kind panic; SDK calls outside a workflow return ErrNotInWorkflow.
func TestWorkflowPanicKind(t *testing.T) {
	t.Parallel()
	wf := ordo.NewWorkflow("panics", func(ctx context.Context, _ struct{}) (string, error) {
		panic("no")
	})
	env := ordotest.New(t, nil)
	env.Register(wf)
	final := env.WaitDone(env.Start("panics", struct{}{}))
	if final.Status != ordo.StatusErrored || final.Error == nil || final.Error.Kind != ordo.ErrorKindPanic {
		t.Fatalf("instance %s, error %+v; want errored with kind panic", final.Status, final.Error)
	}

	_, err := ordo.Do(context.Background(), "x", nil, func(context.Context) (int, error) { return 1, nil })
	if !errors.Is(err, ordo.ErrNotInWorkflow) {
		t.Errorf("Do outside a workflow: %v, want ErrNotInWorkflow", err)
	}
	if err := ordo.Sleep(context.Background(), "x", time.Second); !errors.Is(err, ordo.ErrNotInWorkflow) {
		t.Errorf("Sleep outside a workflow: %v, want ErrNotInWorkflow", err)
	}
}
