package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryPlans pins the indexes the hot statements use, so a schema or
// query change cannot silently turn them into table scans.
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
	list := "SELECT " + instanceCols + " FROM instances WHERE %s ORDER BY created_at DESC, id DESC LIMIT 10"
	tests := []struct {
		name, query, index string
		args               []any
	}{
		{"claim expired", sqlClaimExpired, "instances_lease", []any{1, `["wf"]`, 10, nil}},
		{"claim due", sqlClaimDue, "instances_wake", []any{1, nil, 10, nil}},
		{"claim queued", sqlClaimQueued, "instances_status", []any{1, nil, 10, nil}},
		{"claim expired versions", sqlClaimExpired, "instances_lease", []any{1, `["wf"]`, 10, `["v1"]`}},
		{"claim due versions", sqlClaimDue, "instances_wake", []any{1, nil, 10, `["v1","v2"]`}},
		{"claim queued versions", sqlClaimQueued, "instances_status", []any{1, nil, 10, `["v1"]`}},
		{"unfinished workflows", sqlUnfinishedWorkflows, "instances_status", nil},
		{"heartbeat", sqlHeartbeat, "instances_lease_token", []any{1, "tok"}},
		{"next wake", sqlNextWake, "instances_wake", nil},
		{"fence", sqlFence, "sqlite_autoindex_instances_1", []any{"id", "tok"}},
		{"awaited event", sqlAwaitedEvent, "events_instance", []any{"id", `["paid"]`}},
		{"list page", strings.Replace(list, "%s", "(created_at, id) < (?, ?)", 1), "instances_created", []any{1, "id"}},
		{"list status", strings.Replace(list, "%s", "status = ? AND (created_at, id) < (?, ?)", 1), "instances_status", []any{"queued", 1, "id"}},
		{"list custom status", strings.Replace(list, "%s", "lower(custom_status) = ?", 1), "instances_custom_fold", []any{"paid"}},
		{"list workflow", strings.Replace(list, "%s", "workflow = ?", 1), "instances_workflow", []any{"wf"}},
	}
	for _, tc := range tests {
		rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "INDEX "+tc.index+" ") || strings.Contains(joined, "SCAN instances") {
			t.Errorf("%s: plan %q, want a search of %s", tc.name, joined, tc.index)
		}
	}
}
