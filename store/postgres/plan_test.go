package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// planRows is the number of instances TestQueryPlans stores: a million,
// analysed, as a database that ran for a while holds, so that a
// sequential scan of instances, steps, attempts or events costs more than
// any index lookup. Filling and analysing them takes about 30 s.
const planRows = 1_000_000

// youngPlanRows is the size of the young tables of TestQueryPlans.
const youngPlanRows = 5_000

// bigTables are the tables that grow with the instances: no hot
// statement may read one of them with a sequential scan.
var bigTables = []string{"instances", "steps", "attempts", "events", "webhook_deliveries", "instance_attributes"}

// planCase is one hot statement with arguments for its custom plan.
type planCase struct {
	name, query string
	args        []any
}

// hotStatements are the statements of the hot path (create, claim,
// journal, step commit, finish, heartbeat, event delivery, wake), with
// arguments shaped as the store sends them.
func hotStatements(t *testing.T) []planCase {
	t.Helper()
	now := time.Now()
	ids := []string{"i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8", "i9", "i10"}
	tokens := []string{"tok2", "tok6", "tok10"}
	var updates []*store.Update
	for i, id := range ids {
		fin := now
		u := &store.Update{InstanceID: id, LeaseToken: "tok", Now: now,
			Steps: []*store.Step{{Key: "s#1", Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted,
				Output: []byte(`{}`), Attempts: 1, StartedAt: now, FinishedAt: &fin}},
			Attempts: []store.AttemptRecord{{StepKey: "s#1", Attempt: store.Attempt{Number: 1, StartedAt: now, FinishedAt: now}}},
		}
		if i%3 == 0 { // the instance's end
			u.State, u.Release = &store.StateChange{Status: store.StatusComplete, Output: []byte(`{}`)}, true
		}
		if i%3 == 1 { // waiting for an event, consuming another
			u.State = &store.StateChange{Status: store.StatusWaiting, AwaitEvents: []string{"paid"}}
			u.ConsumeEvents = []store.EventConsumption{{EventID: int64(i), StepKey: "w#1"}}
		}
		updates = append(updates, u)
	}
	idx := make([]int, len(updates))
	for i := range idx {
		idx[i] = i
	}
	p, err := newRoundPlan(updates, idx)
	if err != nil {
		t.Fatal(err)
	}
	write := p.writeArgs()
	var creates createCols
	for _, id := range []string{"n1", "n2", "n3"} {
		creates.add(newCreateRow(&store.InstanceCreateParams{ID: id, Workflow: "wf1", Params: []byte(`{}`),
			Claim: &store.CreateClaim{Owner: "w", Token: "t-" + id, LeaseUntil: now}}, now))
	}
	cr := &creates
	create := []any{cr.id, cr.workflow, cr.status, cr.params, cr.at, cr.started, cr.owner, cr.token, cr.until, cr.claims,
		cr.version, cr.traceParent, cr.traceState, cr.priority}
	row := newCreateRow(&store.InstanceCreateParams{ID: "n4", Workflow: "wf1", Params: []byte(`{}`)}, now)
	insert := []any{row.id, row.workflow, row.status, row.params, row.at, row.started, row.owner, row.token, row.until,
		row.claims, row.version, row.traceParent, row.traceState, row.priority}
	list := `SELECT ` + instanceCols + ` FROM instances WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT 51`
	return []planCase{
		{"create (commit)", sqlCommitCreate, create},
		{"create with attributes (commit)", sqlCommitCreateAttrs, append(create, []string{"n1"}, []string{"k"}, []string{"v"})},
		{"create", sqlInstanceInsert, insert},
		{"claim", sqlClaimReturning, []any{now, nil, 64, "w", now, "c", nil, ""}},
		{"claim workflows", sqlClaimReturning, []any{now, []string{"wf1", "wf2"}, 64, "w", now, "c", nil, ""}},
		{"claim versions", sqlClaimReturning, []any{now, []string{"wf1", "wf2"}, 64, "w", now, "c", []string{"v1"}, "v1"}},
		{"claim skipped", sqlClaimSkipped, []any{now, nil, nil}},
		{"claim skipped workflows", sqlClaimSkipped, []any{now, []string{"wf1", "wf2"}, []string{"v1"}}},
		{"claimed steps", sqlClaimedSteps, []any{"c:", "c;"}},
		{"claimed attempts", sqlClaimedAttempts, []any{"c:", "c;"}},
		{"claimed events", sqlClaimedEvents, []any{"c:", "c;"}},
		{"journal state", sqlInstanceState, []any{"i1"}},
		{"journal steps", sqlSteps, []any{"i1"}},
		{"journal attempts", sqlAttempts, []any{"i1"}},
		{"journal events", sqlEvents, []any{"i1"}},
		{"commit lock", sqlCommitLock, []any{ids}},
		{"existing status (commit)", sqlInstanceStatuses, []any{ids}},
		{"commit write (steps, finish)", sqlCommitWrite, write},
		{"finish notify", sqlNotifyEvent, []any{"i1", "complete", now, "i2", "child.done", []byte(`{}`), int64(2)}},
		{"heartbeat", sqlHeartbeat, []any{now, tokens}},
		{"event lock", sqlEventLock, []any{"i1"}},
		{"event insert", sqlEventInsert, []any{"i1", "paid", []byte(`{}`), now, 0, int64(0), int64(2)}},
		{"step event state", sqlStepEventState, []any{"i1", "s#1", "paid"}},
		{"step event insert", sqlStepEventInsert, []any{"i1", "paid", []byte(`{}`), now, 0, int64(0), int64(2), "s#1", 1}},
		{"next wake", sqlNextWake, nil},
		{"instance get", sqlInstanceGet, []any{"i1"}},
		{"list status", list, []any{"queued"}},
	}
}

// TestQueryPlans pins that every hot statement reaches the tables that
// grow through an index, on tables large enough (and analysed) that a
// sequential scan would show, in both plans PostgreSQL may run: the
// custom plan made for the arguments at hand and the generic plan it
// caches for a prepared statement (pgx prepares every statement) after
// five executions. On a fresh, never analysed schema the generic plans
// must be index lookups too: a generic plan is made once, in a fresh
// database while the tables are nearly empty, and then kept as they grow
// (until an ANALYZE), which made the commit batch scan instances.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	fresh := openPlanStore(t)
	big := openPlanStore(t)
	fillPlanTables(t, big, planRows)
	// young holds as many rows as a database a few seconds into its first
	// burst, when autovacuum analyses its growing tables: a generic plan
	// made then is the one kept until the next analysis.
	young := openPlanStore(t)
	fillPlanTables(t, young, youngPlanRows)
	cases := hotStatements(t)
	// wantIndex names an index a statement's plans must use: the queue's
	// order (priority, then age) is read from instances_queue, and an
	// instance's attempts are found by attempts_number (its prefix), not
	// by a walk of the whole primary key in id order.
	wantIndex := map[string]string{"claim": "instances_queue", "claim workflows": "instances_queue",
		"journal attempts": "attempts_number", "claimed attempts": "attempts_number"}
	for _, tc := range cases {
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			plan := explain(ctx, t, big, tc, mode)
			if scansBigTable(plan) {
				t.Errorf("%s, %s, %d instances: a sequential scan of a large table:\n%s", tc.name, mode, planRows, plan)
			}
			if idx, ok := wantIndex[tc.name]; ok && !strings.Contains(plan, " "+idx+" ") {
				t.Errorf("%s, %s: the plan does not use %s:\n%s", tc.name, mode, idx, plan)
			}
		}
	}
	for _, tc := range cases {
		if plan := explain(ctx, t, fresh, tc, "force_generic_plan"); scansBigTable(plan) {
			t.Errorf("%s, generic plan on a fresh schema: a sequential scan, kept as the table grows:\n%s", tc.name, plan)
		}
		if plan := explain(ctx, t, young, tc, "force_generic_plan"); scansBigTable(plan) {
			t.Errorf("%s, generic plan on %d analysed instances: a sequential scan, kept as the table grows:\n%s",
				tc.name, youngPlanRows, plan)
		}
	}
}

func openPlanStore(t *testing.T) *Store {
	t.Helper()
	return openMigrated(t, 2)
}

// openMigrated opens a store on a fresh, migrated schema with a pool of
// maxConns connections.
func openMigrated(t *testing.T, maxConns int32) *Store {
	t.Helper()
	url, _ := pgtest.Schema(t)
	s, err := Open(t.Context(), url, &Options{MaxConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// fillPlanTables stores n instances (most finished, a few of each
// unfinished status; every other one claimed twice, as a sleeper is), a
// step and an attempt for each, an event for every
// tenth, and analyses the tables.
func fillPlanTables(t *testing.T, s *Store, n int) {
	t.Helper()
	q := fmt.Sprintf(`INSERT INTO instances (id, workflow, status, params, created_at, updated_at, finished_at, wake_at,
			lease_owner, lease_token, lease_expires_at, claims)
		SELECT 'i' || g, 'wf' || (g %% 10),
			CASE WHEN g %% 100 = 1 THEN 'waiting' WHEN g %% 100 = 2 THEN 'running' WHEN g %% 100 = 3 THEN 'queued'
				ELSE 'complete' END,
			'{"n":1}', now() - (g || ' seconds')::interval, now(),
			CASE WHEN g %% 100 > 3 THEN now() END,
			CASE WHEN g %% 100 = 1 THEN now() + interval '1 hour' END,
			CASE WHEN g %% 100 = 2 THEN 'w' END, CASE WHEN g %% 100 = 2 THEN 'tok' || g END,
			CASE WHEN g %% 100 = 2 THEN now() + interval '1 hour' END, 1 + g %% 2
		FROM generate_series(1, %[1]d) g;
		INSERT INTO steps (instance_id, key, name, seq, ordinal, kind, status, output, attempts, started_at, finished_at)
		SELECT 'i' || g, 's#1', 's', 1, 0, 'do', 'completed', '{"n":1}', 1, now(), now() FROM generate_series(1, %[1]d) g;
		INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at)
		SELECT 'i' || g, 's#1', 1, false, now(), now() FROM generate_series(1, %[1]d) g;
		INSERT INTO events (instance_id, type, payload, created_at)
		SELECT 'i' || g, 'paid', '{}', now() FROM generate_series(1, %[1]d, 10) g;
		ANALYZE instances; ANALYZE steps; ANALYZE attempts; ANALYZE events`, n)
	if _, err := s.pool.Exec(t.Context(), q); err != nil {
		t.Fatal(err)
	}
}

// explain returns the plan of tc under plan_cache_mode mode: the custom
// plan from EXPLAIN with the arguments, the generic plan from EXPLAIN
// EXECUTE of the prepared statement (whose arguments it does not read).
func explain(ctx context.Context, t *testing.T, s *Store, tc planCase, mode string) string {
	t.Helper()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = "+mode); err != nil {
		t.Fatal(err)
	}
	var rows pgx.Rows
	if mode == "force_custom_plan" {
		rows, err = tx.Query(ctx, "EXPLAIN "+tc.query, tc.args...)
	} else {
		name := "plan_" + strings.NewReplacer(" ", "_", "(", "", ")", "", ",", "").Replace(tc.name)
		d, perr := tx.Prepare(ctx, name, tc.query)
		if perr != nil {
			t.Fatalf("%s: %v", tc.name, perr)
		}
		nulls := strings.TrimSuffix(strings.Repeat("NULL, ", len(d.ParamOIDs)), ", ")
		call := name
		if nulls != "" {
			call += "(" + nulls + ")"
		}
		rows, err = tx.Query(ctx, "EXPLAIN EXECUTE "+call)
		defer func() { _ = tx.Conn().Deallocate(ctx, name) }()
	}
	if err != nil {
		t.Fatalf("%s, %s: %v", tc.name, mode, err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s, %s: %v", tc.name, mode, err)
	}
	return strings.Join(plan, "\n")
}

// scansBigTable reports whether plan reads one of bigTables sequentially.
func scansBigTable(plan string) bool {
	for _, table := range bigTables {
		if strings.Contains(plan, "Seq Scan on "+table+" ") || strings.HasSuffix(plan, "Seq Scan on "+table) {
			return true
		}
	}
	return false
}
