package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// TestCommitReusesPlans: the statements of a commit run their cached
// generic plans instead of being planned again at every batch. The
// lock statement used to get a custom plan each time (its custom plan
// knows the array's length and so always looks cheaper), and planning it
// cost more than running it.
func TestCommitReusesPlans(t *testing.T) {
	t.Parallel()
	// One connection: the prepared statements the commits used are the
	// ones pg_prepared_statements shows below.
	s := openMigrated(t, 1)
	ctx := t.Context()
	now := time.Now()
	const commits = 12
	for i := range commits {
		id := fmt.Sprintf("plan-%02d", i)
		token := "tok-" + id
		create := &store.Update{Create: &store.InstanceCreateParams{ID: id, Workflow: "wf", Params: []byte(`{}`),
			Claim: &store.CreateClaim{Owner: "w", Token: token, LeaseUntil: now.Add(time.Minute)}},
			InstanceID: id, LeaseToken: token, Now: now}
		fin := now
		step := &store.Update{InstanceID: id, LeaseToken: token, Now: now,
			Steps: []*store.Step{{Key: "s#1", Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted,
				Output: []byte(`{}`), Attempts: 1, StartedAt: now, FinishedAt: &fin}},
			Attempts: []store.AttemptRecord{{StepKey: "s#1", Attempt: store.Attempt{Number: 1, StartedAt: now, FinishedAt: now}}}}
		for _, batch := range [][]*store.Update{{create}, {step}} {
			res, err := s.Commit(ctx, batch)
			if err != nil {
				t.Fatalf("commit %d: %v", i, err)
			}
			if res[0].Err != nil {
				t.Fatalf("commit %d: %v", i, res[0].Err)
			}
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement IN ($1, $2, $3)`, sqlCommitLock, sqlCommitWrite, sqlCommitCreate)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var (
			stmt            string
			generic, custom int64
		)
		if err := rows.Scan(&stmt, &generic, &custom); err != nil {
			t.Fatal(err)
		}
		seen++
		if custom > 0 || generic < commits {
			t.Errorf("%.40q...: %d generic plans, %d custom plans after %d commits; want only generic ones",
				stmt, generic, custom, commits)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != 3 {
		t.Fatalf("found %d of the 3 commit statements among the connection's prepared statements", seen)
	}
}
