package postgres_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// BenchmarkCommit measures updates per second through Commit for several
// batch sizes; each update upserts a step and appends an attempt, like a
// worker finishing a step. Compare with MeasureInsertBaseline (one WAL
// flush per row): go test -run - -bench Commit ./store/postgres
func BenchmarkCommit(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := openB(b)
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range batch {
				if _, err := s.InstanceCreate(b.Context(), &store.InstanceCreateParams{
					ID: fmt.Sprintf("i%03d", i), Workflow: "wf", Params: json.RawMessage(`{"order":"A-1"}`), Now: t0}); err != nil {
					b.Fatal(err)
				}
			}
			claimed, err := s.InstanceClaim(b.Context(), &store.ClaimParams{Owner: "w", Limit: batch, Now: t0, LeaseUntil: t0.Add(time.Hour)})
			if err != nil || len(claimed) != batch {
				b.Fatalf("claim: %d, %v", len(claimed), err)
			}
			updates := make([]*store.Update, batch)
			for n := 0; b.Loop(); n++ {
				for i, in := range claimed {
					key := fmt.Sprintf("step#%d", n)
					updates[i] = &store.Update{
						InstanceID: in.ID, LeaseToken: in.LeaseToken, Now: t0,
						Steps: []*store.Step{{Key: key, Name: "step", Seq: n, Ordinal: n, Kind: store.KindDo,
							Status: store.StepCompleted, Output: json.RawMessage(`{"ok":true}`), Attempts: 1, StartedAt: t0}},
						Attempts: []store.AttemptRecord{{StepKey: key, Attempt: store.Attempt{Number: 1, StartedAt: t0, FinishedAt: t0}}},
					}
				}
				res, err := s.Commit(b.Context(), updates)
				if err != nil || res[0].Err != nil {
					b.Fatalf("commit: %v %v", err, res[0].Err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}
