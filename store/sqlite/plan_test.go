package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// planRows is the number of instances TestQueryPlans stores: without
// statistics SQLite's plans do not depend on the size, and with them
// this many show what a scan would cost; more would make the test slow
// under the race detector, which slows the SQLite engine itself.
const planRows = 20_000

// bigTables are the tables that grow with the instances.
var bigTables = []string{"instances", "steps", "attempts", "events"}

// TestQueryPlans pins the indexes the hot statements use, so a schema or
// query change cannot silently turn them into table scans: the claims,
// listings and lookups named with their index, and every statement of
// the hot path (create, claim, journal, commit, finish, heartbeat, event
// delivery, wake), none of which may scan a table that grows with the
// instances. It plans them on planRows instances, without statistics
// (Ordo never runs ANALYZE) and with them (an operator may).
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plans.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	fillPlanTables(t, s)
	list := "SELECT " + instanceCols + " FROM instances WHERE %s ORDER BY created_at DESC, id DESC LIMIT 10"
	indexed := []struct {
		name, query, index string
		args               []any
	}{
		{"claim expired", sqlClaimExpired, "instances_lease", []any{1, `["wf"]`, 10, nil}},
		{"claim due", sqlClaimDue, "instances_wake", []any{1, nil, 10, nil}},
		{"claim queued", sqlClaimQueued, "instances_queue", []any{1, nil, 10, nil}},
		{"claim expired versions", sqlClaimExpired, "instances_lease", []any{1, `["wf"]`, 10, `["v1"]`}},
		{"claim due versions", sqlClaimDue, "instances_wake", []any{1, nil, 10, `["v1","v2"]`}},
		{"claim queued versions", sqlClaimQueued, "instances_queue", []any{1, nil, 10, `["v1"]`}},
		{"unfinished workflows", sqlUnfinishedWorkflows, "instances_status", nil},
		{"heartbeat", sqlHeartbeat, "instances_lease_token", []any{1, "tok"}},
		{"next wake", sqlNextWake, "instances_wake", nil},
		{"fence", sqlFence, "sqlite_autoindex_instances_1", []any{"id", "tok"}},
		{"journal touch rows", sqlJournalTouchRows[2], "sqlite_autoindex_instances_1", []any{"i1", "tok", 1, "i2", "tok", 1}},
		{"journal touch rows, largest", sqlJournalTouchRows[rowChunks[0]], "sqlite_autoindex_instances_1", make([]any, 3*rowChunks[0])},
		{"awaited event", sqlAwaitedEvent, "events_instance", []any{"id", `["paid"]`}},
		{"list page", strings.Replace(list, "%s", "(created_at, id) < (?, ?)", 1), "instances_created", []any{1, "id"}},
		{"list status", strings.Replace(list, "%s", "status = ? AND (created_at, id) < (?, ?)", 1), "instances_status", []any{"queued", 1, "id"}},
		{"list custom status", strings.Replace(list, "%s", "lower(custom_status) = ?", 1), "instances_custom_fold", []any{"paid"}},
		{"list workflow", strings.Replace(list, "%s", "workflow = ?", 1), "instances_workflow", []any{"wf"}},
	}
	hot := []struct {
		name, query string
		args        []any
	}{
		{"create", sqlInstanceInsert, make([]any, 18)},
		{"claim take", sqlClaimTake, []any{"w", "tok", 1, 1, 1, "v", "i1"}},
		{"status", sqlStatus, []any{"i1"}},
		{"step upsert", sqlStepUpsert, make([]any, stepWidth)},
		{"attempt insert", sqlAttemptInsert, make([]any, 7)},
		{"step upsert rows", sqlStepUpsertRows[2], make([]any, 2*stepWidth)},
		{"attempt insert rows", sqlAttemptInsertRows[2], make([]any, 2*7)},
		{"event consume", sqlEventConsume, []any{"w#1", 1, "i1"}},
		{"journal instance", sqlInstanceExists, []any{"i1"}},
		{"journal steps", sqlSteps, []any{"i1"}},
		{"journal attempts", sqlAttempts, []any{"i1"}},
		{"journal events", sqlEvents, []any{"i1"}},
		{"event instance", sqlEventInstance, []any{"i1"}},
		{"event insert", sqlEventInsert, []any{"i1", "paid", "{}", 1}},
		{"step event state", sqlStepEventState, []any{"i1", "s#1", "paid"}},
		{"event count", sqlEventCount, []any{1, "i1", 2}},
		{"finish notify", sqlNotifyInsert, []any{"i1", "child.done", "{}", 1}},
		{"instance get", sqlInstanceGet, []any{"i1"}},
	}
	for mask, q := range sqlInstanceUpdate {
		hot = append(hot, struct {
			name, query string
			args        []any
		}{fmt.Sprintf("instance update %03b", mask), q, []any{
			sql.Named("now", 1), sql.Named("custom", ""), sql.Named("status", "complete"), sql.Named("output", nil),
			sql.Named("error", nil), sql.Named("wake", nil), sql.Named("finished", 1), sql.Named("id", "i1"),
		}[:argCount(q)]})
	}
	for _, analysed := range []bool{false, true} {
		if analysed {
			if _, err := s.write.ExecContext(t.Context(), "ANALYZE"); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range indexed {
			joined := explainSQLite(t, s, tc.query, tc.args)
			if !usesIndex(joined, tc.index) || scansBigTable(joined) {
				t.Errorf("%s (analysed %v): plan %q, want a search of %s", tc.name, analysed, joined, tc.index)
			}
		}
		for _, tc := range hot {
			if joined := explainSQLite(t, s, tc.query, tc.args); scansBigTable(joined) {
				t.Errorf("%s (analysed %v): plan %q scans a table that grows", tc.name, analysed, joined)
			}
		}
	}
}

// argCount is how many of the named arguments of sqlInstanceUpdate's
// order (now, custom, status, output, error, wake, finished, id) a
// statement uses: EXPLAIN refuses unused named arguments.
func argCount(q string) int {
	n := 0
	for i, name := range []string{":now", ":custom", ":status", ":output", ":error", ":wake", ":finished", ":id"} {
		if strings.Contains(q, name) {
			n = i + 1
		}
	}
	return n
}

// fillPlanTables stores planRows instances (most finished, a few of each
// unfinished status), a step and an attempt for each and an event for
// every tenth.
func fillPlanTables(t *testing.T, s *Store) {
	t.Helper()
	q := fmt.Sprintf(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %d)
		INSERT INTO instances (id, workflow, status, params, created_at, updated_at, finished_at, wake_at,
			lease_owner, lease_token, lease_expires_at, claims)
		SELECT 'i' || n, 'wf' || (n %% 10),
			CASE n %% 100 WHEN 1 THEN 'waiting' WHEN 2 THEN 'running' WHEN 3 THEN 'queued' ELSE 'complete' END,
			'{"n":1}', n, n, CASE WHEN n %% 100 > 3 THEN n END, CASE WHEN n %% 100 = 1 THEN n END,
			CASE WHEN n %% 100 = 2 THEN 'w' END, CASE WHEN n %% 100 = 2 THEN 'tok' || n END,
			CASE WHEN n %% 100 = 2 THEN n END, 1
		FROM g`, planRows)
	ctx := t.Context()
	for _, stmt := range []string{q,
		`INSERT INTO steps (instance_id, key, name, seq, ordinal, kind, status, output, attempts, started_at, finished_at)
			SELECT id, 's#1', 's', 1, 0, 'do', 'completed', '{"n":1}', 1, created_at, created_at FROM instances`,
		`INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at)
			SELECT id, 's#1', 1, 0, created_at, created_at FROM instances`,
		`INSERT INTO events (instance_id, type, payload, created_at)
			SELECT id, 'paid', '{}', created_at FROM instances WHERE rowid % 10 = 0`,
	} {
		if _, err := s.write.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%v: %s", err, stmt)
		}
	}
}

// scansBigTable reports whether a plan reads one of bigTables whole
// (SCAN, with or without an index), not by a SEARCH.
func scansBigTable(plan string) bool {
	for _, step := range strings.Split(plan, "; ") {
		if walksPartialIndex(step) {
			continue
		}
		for _, table := range bigTables {
			if step == "SCAN "+table || strings.HasPrefix(step, "SCAN "+table+" ") {
				return true
			}
		}
	}
	return false
}

// partialIndexes hold only the rows their statement wants (the queued
// instances, in claim order), so walking one in its order is no scan of
// a table that grows.
var partialIndexes = []string{"instances_queue"}

// walksPartialIndex reports whether a plan step walks one of
// partialIndexes ("SCAN instances USING INDEX instances_queue").
func walksPartialIndex(step string) bool {
	for _, idx := range partialIndexes {
		if strings.HasSuffix(step, " USING INDEX "+idx) {
			return true
		}
	}
	return false
}

// usesIndex reports whether a plan searches or walks index.
func usesIndex(plan, index string) bool {
	for _, step := range strings.Split(plan, "; ") {
		if strings.Contains(step, "INDEX "+index+" ") || strings.HasSuffix(step, "INDEX "+index) {
			return true
		}
	}
	return false
}
