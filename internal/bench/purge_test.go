package bench

import (
	"os"
	"testing"
	"time"
)

// TestRunPurge runs WF3 beside the deletion of a small backlog, on SQLite
// and (with ORDO_TEST_POSTGRES_URL) PostgreSQL: the purge deletes the
// whole backlog, and only the backlog.
func TestRunPurge(t *testing.T) {
	urls := []string{""}
	if u := os.Getenv("ORDO_TEST_POSTGRES_URL"); u != "" {
		urls = append(urls, u)
	}
	for _, pg := range urls {
		for _, purge := range []bool{false, true} {
			r, err := Run(t.Context(), Options{N: 30, PurgeBacklog: 700, Purge: purge, Postgres: pg, Dir: t.TempDir(),
				Baseline: 100 * time.Millisecond})
			if err != nil {
				t.Fatalf("postgres %v, purge %v: %v", pg != "", purge, err)
			}
			want := 0
			if purge {
				want = 700
			}
			if r.PurgeBacklog != 700 || r.Purged != want || r.WorkflowsPerS <= 0 || r.N != 30 {
				t.Errorf("postgres %v, purge %v: %+v; want %d purged of a 700 backlog", pg != "", purge, r, want)
			}
		}
	}
	// Stopped with the workload: no error, no more than the backlog.
	r, err := Run(t.Context(), Options{N: 30, PurgeBacklog: 700, Purge: true, PurgeStop: true, Dir: t.TempDir(),
		Baseline: 100 * time.Millisecond})
	if err != nil || r.Purged > 700 || r.PurgedDuringRun > r.Purged {
		t.Errorf("purge stopped with the workload: %+v, %v", r, err)
	}
	if _, err := Run(t.Context(), Options{N: 1, Purge: true}); err == nil {
		t.Error("--purge without a backlog ran")
	}
}
