package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// seedQueued creates n queued instances of workflow wf (which `ordo
// serve` does not run, so they stay queued) in the SQLite database at
// path, created before now, in one commit per 500.
func seedQueued(t *testing.T, st store.Store, wf string, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	end := time.Now().Add(-time.Minute)
	for i := 0; i < n; i += 500 {
		var ups []*store.Update
		for j := i; j < min(i+500, n); j++ {
			id, at := fmt.Sprintf("%s-%06d", wf, j), end.Add(-time.Duration(n-j)*time.Microsecond)
			ups = append(ups, &store.Update{InstanceID: id, Now: at,
				Create: &store.InstanceCreateParams{ID: id, Workflow: wf, Params: json.RawMessage(`{}`), Now: at}})
			ids = append(ids, id)
		}
		res, err := st.Commit(t.Context(), ups)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	return ids
}

var bulkStarted = regexp.MustCompile(`bulk job (\S+) started`)

// TestBulkKilledServer starts a bulk terminate of 3,000 instances (1,000
// with -race) through the CLI, kills `ordo serve` with SIGKILL in the
// middle of the job and starts it again on the same data directory: the
// job finishes there, and the audit trail holds exactly one terminate per
// instance, by the operator with their reason.
func TestBulkKilledServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills ordo serve processes")
	}
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(data, "ordo.db")
	st, err := sqlite.Open(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	n := 3000
	if raceEnabled {
		n = 1000 // a server built with -race acts several times slower
	}
	ids := seedQueued(t, st, "legacy", n)
	seedQueued(t, st, "current", 20)
	st.Close()

	args := []string{"--data-dir", data, "--lease-duration", "2s"}
	first := startServe(t, args...)
	out, _, err := runCLI(t, "instances", "bulk", "terminate", "--workflow", "legacy", "--reason", "migration", "--dry-run", "--server", first.URL)
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d instances match", n)) || !strings.Contains(out, fmt.Sprintf("legacy-%06d", n-1)) {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "instances", "bulk", "terminate", "--workflow", "legacy", "--reason", "migration", "--server", first.URL)
	m := bulkStarted.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("bulk terminate: %v\n%s", err, out)
	}
	id := m[1]
	waitUntil(t, 3*time.Minute, "the job processed a fifth of the instances", func() bool {
		var j bulk.Job
		resp, err := http.Get(first.URL + "/v1/bulk/" + id)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&j) == nil && j.Progress.Processed >= n/5
	})
	first.kill()

	second := startServe(t, args...)
	out, _, err = runCLI(t, "bulk", "get", id, "--wait", "--server", second.URL)
	if err != nil || !strings.Contains(out, fmt.Sprintf("complete: %d of %d processed", n, n)) {
		t.Fatalf("bulk get --wait: %v\n%s", err, out)
	}
	t.Logf("after the kill: %s", strings.TrimSpace(out[strings.LastIndex(out, "complete:"):]))
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}

	st, err = sqlite.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	terminates := make(map[string]int)
	for cursor := ""; ; {
		page, err := st.ActionList(t.Context(), &store.ActionListParams{Action: "terminate", Limit: 1000, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Actions {
			if a.Actor != "local" || a.Reason != "migration" {
				t.Fatalf("audit entry %+v: want terminate by local for migration", a)
			}
			terminates[a.InstanceID]++
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	for _, id := range ids {
		in, err := st.InstanceGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if terminates[id] != 1 || in.Status != store.StatusTerminated {
			t.Fatalf("instance %s: %s, %d terminate entries; want terminated once", id, in.Status, terminates[id])
		}
	}
	if len(terminates) != n {
		t.Errorf("%d instances terminated, want %d", len(terminates), n)
	}
	starts, err := st.ActionList(t.Context(), &store.ActionListParams{Action: bulk.ActionStart})
	if err != nil || len(starts.Actions) != 1 || starts.Actions[0].InstanceID != id {
		t.Errorf("bulk.start entries: %v, %+v", err, starts)
	}
}
