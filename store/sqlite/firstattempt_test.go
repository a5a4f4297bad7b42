package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/storetest"
)

func TestFirstAttemptOnStepRow(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "first.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	storetest.RunFirstAttempt(t, s, func(t *testing.T) int {
		var n int
		if err := s.read.QueryRowContext(t.Context(), `SELECT count(*) FROM attempts`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}

// TestMigrateKeepsAttemptRows: steps stored before 0024 keep their first
// attempt in a row of attempts; their history reads as before, a retry
// recorded after the upgrade follows it, and the same first attempt sent
// again with its step (now kept on the row) still shows once.
func TestMigrateKeepsAttemptRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openAtVersion(t, 23) // the schema before 0024
	for _, q := range []string{
		"PRAGMA user_version = 23",
		`INSERT INTO instances (id, workflow, status, params, created_at, updated_at, claims, lease_owner, lease_token, lease_expires_at)
			VALUES ('a', 'wf', 'running', '{}', 0, 0, 1, 'w', 'tok', 9000000000000000)`,
		`INSERT INTO steps (instance_id, key, name, seq, ordinal, kind, status, attempts, started_at, finished_at)
			VALUES ('a', 'x#1', 'x', 1, 0, 'do', 'completed', 1, 1000000, 1250000)`,
		`INSERT INTO steps (instance_id, key, name, seq, ordinal, kind, status, attempts, started_at)
			VALUES ('a', 'y#1', 'y', 1, 1, 'do', 'retrying', 1, 2000000)`,
		`INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at)
			VALUES ('a', 'x#1', 1, 0, 1000000, 1250000)`,
		`INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at, error)
			VALUES ('a', 'y#1', 1, 0, 2000000, 2250000, '{"message":"boom","kind":"step"}')`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	us := func(n int64) time.Time { return time.UnixMicro(n).UTC() }
	x := store.Attempt{Number: 1, StartedAt: us(1000000), FinishedAt: us(1250000)}
	y1 := store.Attempt{Number: 1, StartedAt: us(2000000), FinishedAt: us(2250000), Error: &store.ErrorInfo{Message: "boom", Kind: store.ErrorKindStep}}
	y2 := store.Attempt{Number: 2, StartedAt: us(3000000), FinishedAt: us(3250000)}
	fin := us(3250000)
	xFin := us(1250000)
	res, err := s.Commit(ctx, []*store.Update{
		{InstanceID: "a", LeaseToken: "tok", Now: us(3250000),
			Steps: []*store.Step{{Key: "y#1", Name: "y", Seq: 1, Ordinal: 1, Kind: store.KindDo, Status: store.StepCompleted,
				Attempts: 2, StartedAt: us(2000000), FinishedAt: &fin}},
			Attempts: []store.AttemptRecord{{StepKey: "y#1", Attempt: y2}}},
		{InstanceID: "a", LeaseToken: "tok", Now: us(3250000),
			Steps: []*store.Step{{Key: "x#1", Name: "x", Seq: 1, Ordinal: 0, Kind: store.KindDo, Status: store.StepCompleted,
				Attempts: 1, StartedAt: us(1000000), FinishedAt: &xFin}},
			Attempts: []store.AttemptRecord{{StepKey: "x#1", Attempt: x}}},
	})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("Commit: %v %+v", err, res)
	}
	j, err := s.JournalLoad(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]store.Attempt{"x#1": {x}, "y#1": {y1, y2}}
	for _, st := range j.Steps {
		if diff := cmp.Diff(want[st.Key], st.History); diff != "" {
			t.Errorf("%s History (-want +got):\n%s", st.Key, diff)
		}
	}
}
