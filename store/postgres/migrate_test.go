package postgres

import (
	"slices"
	"testing"

	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestMigrateDropsDuplicateAttempts: a schema written by a version that
// could record an attempt twice (a commit re-sent after its answer was
// lost) keeps one of each when migrated.
func TestMigrateDropsDuplicateAttempts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url, _ := pgtest.Schema(t)
	s, err := Open(ctx, url, &Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, sqlMigrateTable); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] { // the schema before attempts were unique
		if _, err := s.pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("apply %s: %v", m.Name, err)
		}
		if _, err := s.pool.Exec(ctx, sqlMigrateRecord, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO instances (id, workflow, status, created_at, updated_at) VALUES ('a', 'wf', 'running', now(), now());
		INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at)
		SELECT 'a', k, n, c, now(), now() FROM (VALUES ('x#1', 1, false), ('x#1', 1, false), ('x#1', 2, false),
			('x#1', 1, true), ('x#1', 1, true), ('y#1', 1, false)) AS v(k, n, c)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM attempts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("%d attempts after the migration, want 4 (one per step, number and kind)", n)
	}
}

// TestMigrateCountsEvents: migration 5 counts the events an older version
// stored, so the event limits hold for them too.
func TestMigrateCountsEvents(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url, _ := pgtest.Schema(t)
	s, err := Open(ctx, url, &Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, sqlMigrateTable); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:4] { // the schema before event totals
		if _, err := s.pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("apply %s: %v", m.Name, err)
		}
		if _, err := s.pool.Exec(ctx, sqlMigrateRecord, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO instances (id, workflow, status, created_at, updated_at) VALUES ('a', 'wf', 'waiting', now(), now()), ('b', 'wf', 'queued', now(), now());
		INSERT INTO events (instance_id, type, payload, created_at) VALUES ('a', 't', '"xy"', now()), ('a', 't', NULL, now()), ('a', 't', '1234', now())`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][2]int64{"a": {3, 8}, "b": {0, 0}} {
		var got [2]int64
		if err := s.pool.QueryRow(ctx, "SELECT event_count, event_bytes FROM instances WHERE id = $1", id).Scan(&got[0], &got[1]); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("instance %s: %d events of %d bytes after the migration, want %v", id, got[0], got[1], want)
		}
	}
}

// TestInstancesLeaveRoomForHOTUpdates: a migrated schema's instances
// table leaves half of each page free, so that step commits, which change
// no indexed column, update rows in place (HOT) and write no index entry.
func TestInstancesLeaveRoomForHOTUpdates(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, 2)
	var opts []string
	if err := s.pool.QueryRow(t.Context(), `SELECT coalesce(reloptions, '{}') FROM pg_class
		WHERE oid = 'instances'::regclass`).Scan(&opts); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(opts, "fillfactor=50") {
		t.Errorf("instances has options %q, want fillfactor=50", opts)
	}
}
