package ordo_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// TestCutOffAttemptIsCounted: an instance taken over from a worker whose
// lease ran out (it died mid-step) has that attempt counted as failed
// (kind cut_off) before its step runs again, so a step that keeps killing
// its worker exhausts its retries instead of running forever.
func TestCutOffAttemptIsCounted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		limit      int
		wantStatus ordo.Status
		wantRuns   int32
		wantAtts   int
	}{
		{"retried once more", 2, ordo.StatusComplete, 1, 2},
		{"no retries left", 0, ordo.StatusErrored, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			st := memory.New()
			// A worker ("ghost") claimed the instance and died: its lease
			// ended a second ago without being renewed.
			if _, err := st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "a", Workflow: "charge", Params: json.RawMessage(`{}`), Now: start.Add(-time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if got, err := st.InstanceClaim(ctx, &store.ClaimParams{Owner: "ghost", Limit: 1, Now: start.Add(-time.Minute), LeaseUntil: start.Add(-time.Second)}); err != nil || len(got) != 1 {
				t.Fatalf("ghost claim: %v %v", got, err)
			}

			var runs atomic.Int32
			var attemptSeen atomic.Int32
			wf := ordo.NewWorkflow("charge", func(ctx context.Context, _ struct{}) (string, error) {
				return ordo.Do(ctx, "charge", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: tc.limit, Delay: time.Second}},
					func(ctx context.Context) (string, error) {
						runs.Add(1)
						info, _ := ordo.StepInfoFrom(ctx)
						attemptSeen.Store(int32(info.Attempt))
						return "paid", nil
					})
			})
			env := ordotest.New(t, &ordotest.Options{Store: st, Start: start})
			env.Register(wf)
			final := env.WaitDone("a")
			if final.Status != tc.wantStatus || runs.Load() != tc.wantRuns {
				t.Fatalf("status %s, step ran %d times; want %s, %d (error %v)", final.Status, runs.Load(), tc.wantStatus, tc.wantRuns, final.Error)
			}
			step := final.Steps[0]
			if step.Attempts != tc.wantAtts || len(step.History) != tc.wantAtts {
				t.Fatalf("step attempts %d, history %d; want %d", step.Attempts, len(step.History), tc.wantAtts)
			}
			if e := step.History[0].Error; e == nil || e.Kind != "cut_off" {
				t.Fatalf("first attempt's error = %+v, want kind cut_off", e)
			}
			if tc.wantRuns > 0 && attemptSeen.Load() != 2 {
				t.Errorf("the step saw attempt %d, want 2 (the cut-off attempt was 1)", attemptSeen.Load())
			}
			if tc.wantStatus == ordo.StatusErrored && (final.Error == nil || final.Error.Step != "charge" || final.Error.Kind != ordo.ErrorKindCutOff) {
				t.Errorf("instance error = %+v, want the charge step's cut-off failure", final.Error)
			}
		})
	}
}
