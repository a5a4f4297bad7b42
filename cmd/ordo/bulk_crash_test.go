package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
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

// bulkHoldEnv (ORDO_TEST_BULK_HOLD_AFTER=k) makes `ordo serve` apply the
// first k pages of a bulk job and hold the next apply step before it
// acts: it writes bulkHeldLine to stderr and waits until the process
// dies. The kill point of TestBulkKilledServer is thus fixed: exactly k
// pages applied, however fast the machine.
const (
	bulkHoldEnv  = "ORDO_TEST_BULK_HOLD_AFTER"
	bulkHeldLine = "test hook: bulk apply step held"
)

// installBulkHold sets testStepInterceptor from bulkHoldEnv, in the
// process a test starts as `ordo serve`.
func installBulkHold() {
	k, err := strconv.Atoi(os.Getenv(bulkHoldEnv))
	if err != nil {
		return
	}
	var applies atomic.Int64
	testStepInterceptor = func(ctx context.Context, info ordo.StepInfo, next func(context.Context) (json.RawMessage, error)) (json.RawMessage, error) {
		if info.Workflow != bulk.WorkflowName || info.Step != "apply" || info.Compensation || applies.Add(1) <= int64(k) {
			return next(ctx)
		}
		fmt.Fprintln(os.Stderr, bulkHeldLine)
		<-ctx.Done() // until SIGKILL
		return nil, ctx.Err()
	}
}

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
	pages := max(1, n/5/bulk.DefaultPageSize) // applied before the kill
	first := startServeEnv(t, []string{fmt.Sprintf("%s=%d", bulkHoldEnv, pages)}, args...)
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
	waitUntil(t, 3*time.Minute, "the job holds its apply step after the first pages", func() bool {
		return strings.Contains(first.logs.String(), bulkHeldLine)
	})
	first.kill()
	st, err = sqlite.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := countTerminated(t, st, ids); got != pages*bulk.DefaultPageSize {
		t.Fatalf("%d instances terminated at the kill, want the first %d pages' %d", got, pages, pages*bulk.DefaultPageSize)
	}
	st.Close()

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

// countTerminated returns how many of ids are terminated.
func countTerminated(t *testing.T, st store.Store, ids []string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		in, err := st.InstanceGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if in.Status == store.StatusTerminated {
			n++
		}
	}
	return n
}
