package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// TestPreloadSet stores a preload through a SQLite store: every instance
// finished with three completed steps, created over the month before,
// with IDs in the order of their creation.
func TestPreloadSet(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := storeFinished(t.Context(), st, preloadSet(1200, "bench-wf3", now), 3); err != nil {
		t.Fatal(err)
	}
	var ids []string
	cursor := ""
	for {
		page, err := st.InstanceList(t.Context(), &store.InstanceListParams{Limit: 1000, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page.Instances {
			if in.Status != store.StatusComplete || in.Workflow != "bench-wf3" || in.LeaseToken != "" ||
				in.FinishedAt == nil || in.CreatedAt.Before(now.Add(-preloadSpan-time.Second)) || in.CreatedAt.After(now) {
				t.Fatalf("preloaded instance %+v", in)
			}
			ids = append(ids, in.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(ids) != 1200 {
		t.Fatalf("%d instances preloaded, want 1200", len(ids))
	}
	// Listed newest first: the IDs descend.
	if !slices.IsSortedFunc(ids, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Error("preloaded IDs are not in the order of creation")
	}
	j, err := st.JournalLoad(t.Context(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Steps) != 3 || j.Steps[2].Status != store.StepCompleted || len(j.Steps[2].History) != 1 {
		t.Errorf("journal of a preloaded instance: %+v", j.Steps)
	}
}

// TestRunPreload runs WF3 on a preloaded database, on SQLite and (with
// ORDO_TEST_POSTGRES_URL) PostgreSQL, where the result also holds the
// server's counts per workflow.
func TestRunPreload(t *testing.T) {
	urls := []string{""}
	if u := os.Getenv("ORDO_TEST_POSTGRES_URL"); u != "" {
		urls = append(urls, u)
	}
	for _, pg := range urls {
		r, err := Run(t.Context(), Options{N: 40, Preload: 1500, Postgres: pg, Dir: t.TempDir(), Baseline: 100 * time.Millisecond})
		if err != nil {
			t.Fatalf("postgres %v: %v", pg != "", err)
		}
		if r.Preload != 1500 || r.N != 40 || r.WorkflowsPerS <= 0 || r.LatencyMS.P50 <= 0 {
			t.Errorf("postgres %v: %+v", pg != "", r)
		}
		// The latencies are the run's instances', not the preload's
		// (finished a few milliseconds after their creation, at most a
		// month ago): a second at most on any machine.
		if r.LatencyMS.P99 > 60_000 {
			t.Errorf("postgres %v: latency p99 %v ms: the preload counted", pg != "", r.LatencyMS.P99)
		}
		if pg == "" {
			continue
		}
		// At least a commit, a write and a WAL flush per workflow (the
		// create's), whatever else shares the server.
		if r.CommitsPerWorkflow < 0.5 || r.WriteXactsPerWorkflow < 0.5 || r.WALSyncsPerWorkflow <= 0 ||
			r.WALBytesPerWorkflow <= 0 || r.WALRecordsPerWorkflow <= 0 || r.RoundTripsPerWorkflow < 0.5 ||
			r.StatementsPerWorkflow < r.RoundTripsPerWorkflow ||
			// Its finish updates its row at least once.
			r.InstanceUpdatesPerWorkflow < 1 || r.InstanceHOTShare < 0 || r.InstanceHOTShare > 1 {
			t.Errorf("PostgreSQL counts per workflow: %+v", r)
		}
	}
}
