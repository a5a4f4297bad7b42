package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrateDropsDuplicateAttempts: a database written by a version that
// could record an attempt twice (a commit re-sent after its answer was
// lost) keeps one of each when migrated, and the attempts are read by the
// unique index that replaces the old one.
func TestMigrateDropsDuplicateAttempts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openAtVersion(t, 2) // the schema before attempts were unique
	stmts := []string{
		"PRAGMA user_version = 2",
		`INSERT INTO instances (id, workflow, status, params, created_at, updated_at, claims) VALUES ('a', 'wf', 'running', '{}', 0, 0, 1)`,
	}
	for _, a := range []struct {
		key  string
		num  int
		comp int
	}{{"x#1", 1, 0}, {"x#1", 1, 0}, {"x#1", 2, 0}, {"x#1", 1, 1}, {"x#1", 1, 1}, {"y#1", 1, 0}} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at) VALUES ('a', '%s', %d, %d, 0, 0)`, a.key, a.num, a.comp))
	}
	for _, q := range stmts {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM attempts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("%d attempts after the migration, want 4 (one per step, number and kind)", n)
	}
	var plan string
	rows, err := s.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+sqlAttempts, "a")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "; "
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if want := "INDEX attempts_number"; !strings.Contains(plan, want) {
		t.Errorf("journal attempts plan %q, want a search of attempts_number", plan)
	}
}

// TestMigrateCountsEvents: migration 5 counts the events an older version
// stored, so the event limits hold for them too.
func TestMigrateCountsEvents(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openAtVersion(t, 4) // the schema before event totals
	for _, q := range []string{
		"PRAGMA user_version = 4",
		`INSERT INTO instances (id, workflow, status, params, created_at, updated_at) VALUES ('a', 'wf', 'waiting', '{}', 0, 0), ('b', 'wf', 'queued', '{}', 0, 0)`,
		`INSERT INTO events (instance_id, type, payload, created_at) VALUES ('a', 't', '"xy"', 0), ('a', 't', NULL, 0), ('a', 't', '1234', 0)`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][2]int64{"a": {3, 8}, "b": {0, 0}} {
		var got [2]int64
		if err := s.read.QueryRowContext(ctx, "SELECT event_count, event_bytes FROM instances WHERE id = ?", id).Scan(&got[0], &got[1]); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("instance %s: %d events of %d bytes after the migration, want %v", id, got[0], got[1], want)
		}
	}
}

// openAtVersion opens a store on a new database with the schema of the
// first n migrations (PRAGMA user_version is left for the caller to set,
// after the rows it stores). It is closed when t ends.
func openAtVersion(t *testing.T, n int) *Store {
	t.Helper()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "old.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:n] {
		if _, err := s.write.ExecContext(ctx, m.SQL); err != nil {
			t.Fatalf("apply %s: %v", m.Name, err)
		}
	}
	return s
}
