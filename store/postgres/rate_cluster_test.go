package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store/postgres"
)

// TestLimitRateAcrossWorkers runs 60 instances whose step takes a grant
// of a limit of 10 per second, on three worker processes at once. The
// grants, as PostgreSQL stored them (a trigger logs every one before the
// engine prunes it), never hold more than 10 in any window of a second;
// and the calls seen by the endpoint, each made after its grant, keep to
// what that implies: the 10k+1'th starts at least k seconds after the
// instances were created, which calls made without the limit, all within
// a second or two, do not.
func TestLimitRateAcrossWorkers(t *testing.T) {
	t.Parallel()
	url, st, effects, effectsURL := clusterSetup(t)
	logGrants(t, st)
	var w []*worker
	for i := range 3 {
		w = append(w, startWorkerWith(t, fmt.Sprintf("r%d", i), url, effectsURL, "limits"))
	}
	wf := limitedWorkflow(tenPerSecond.Name, "", "")
	e := writerEngine(t, st, wf)
	const n = 60
	created := time.Now()
	ids := createN(t, e, wf, "ten", n)
	waitFor(t, 3*time.Minute, "every instance completes", func() bool { return countComplete(t, st) == n })
	stopWorkers(t, w...)

	rate, per := tenPerSecond.Rate, tenPerSecond.Per
	grants := loggedGrants(t, st, tenPerSecond.Name)
	var starts []time.Time
	for _, c := range effects.callsTagged(tenPerSecond.Name) {
		starts = append(starts, c.start)
	}
	slices.SortFunc(starts, time.Time.Compare)
	if len(starts) < n || len(grants) < len(starts) {
		t.Fatalf("%d calls for %d steps with %d grants logged; want a grant for every call", len(starts), n, len(grants))
	}
	if grants[0].Before(created) {
		t.Errorf("the first grant (%s) came before the instances were created (%s)", grants[0], created)
	}
	// The engine's rule: a grant at g only if fewer than rate were granted
	// in (g-per, g].
	over := 0
	for i := 0; i+rate < len(grants); i++ {
		if g := grants[i+rate]; grants[i].After(g.Add(-per)) {
			if over++; over <= 5 {
				t.Errorf("grants %d..%d (%s..%s) are %d within %s", i, i+rate, grants[i].Format(time.StampMicro), g.Format(time.StampMicro), rate+1, per)
			}
		}
	}
	if over > 5 {
		t.Errorf("%d runs of %d grants within %s in all", over, rate+1, per)
	}
	// Each call starts after its own grant, so the i'th call to start
	// starts after the i'th grant; and the 10k+1'th grant is at least k
	// windows after the first, itself after the instances were created.
	for i, s := range starts {
		if s.Before(grants[i]) {
			t.Errorf("call %d started at %s, before grant %d at %s: more calls than grants by then", i, s.Format(time.StampMicro), i, grants[i].Format(time.StampMicro))
		}
	}
	for k := 0; k*rate < len(starts); k++ {
		if s, earliest := starts[k*rate], created.Add(time.Duration(k)*per); s.Before(earliest) {
			t.Errorf("call %d started %s after the instances were created, want at least %s at %d per %s",
				k*rate, s.Sub(created), earliest.Sub(created), rate, per)
		}
	}
	most := 0
	for i := range starts {
		j, _ := slices.BinarySearchFunc(starts, starts[i].Add(per), time.Time.Compare)
		most = max(most, j-i)
	}
	t.Logf("%d calls in %s, at most %d starting within %s at the endpoint (each after its grant)",
		len(starts), starts[len(starts)-1].Sub(starts[0]).Round(time.Millisecond), most, per)

	checkCalled(t, st, effects, ids)
}

// logGrants keeps a copy of every rate grant the store writes, in table
// grant_log of the test's schema: the store deletes the grants that left
// their window.
func logGrants(t *testing.T, st *postgres.Store) {
	t.Helper()
	_, err := st.Pool().Exec(context.Background(), `
		CREATE TABLE grant_log (name text NOT NULL, at timestamptz NOT NULL);
		CREATE FUNCTION log_grant() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN INSERT INTO grant_log (name, at) VALUES (NEW.name, NEW.at); RETURN NEW; END $$;
		CREATE TRIGGER log_grant AFTER INSERT ON limit_grants FOR EACH ROW EXECUTE FUNCTION log_grant();`)
	if err != nil {
		t.Fatalf("log grants: %v", err)
	}
}

// loggedGrants returns the times of limit's rate grants logGrants kept,
// in order.
func loggedGrants(t *testing.T, st *postgres.Store, limit string) []time.Time {
	t.Helper()
	rows, _ := st.Pool().Query(context.Background(), `SELECT at FROM grant_log WHERE name = $1 ORDER BY at`, limit)
	grants, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		t.Fatalf("logged grants: %v", err)
	}
	return grants
}
