package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

func TestOpenWithoutMigrating(t *testing.T) {
	t.Parallel()
	url, schema := pgtest.Schema(t)
	s, err := postgres.Open(t.Context(), url, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if s.Schema() != schema {
		t.Errorf("Schema() = %q, want %q", s.Schema(), schema)
	}
	current, latest, err := s.SchemaVersion(t.Context())
	if err != nil || current != 0 || latest < 1 {
		t.Fatalf("SchemaVersion before Migrate = %d, %d, %v; want 0, >= 1", current, latest, err)
	}
	if _, err := s.InstanceGet(t.Context(), "a"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("InstanceGet before Migrate = %v, want a schema error", err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if current, latest, err = s.SchemaVersion(t.Context()); err != nil || current != latest {
		t.Fatalf("SchemaVersion after Migrate = %d, %d, %v", current, latest, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestMigrateConcurrent: several processes' stores migrating one schema at
// once (here, several pools) all succeed, and it is migrated once.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			s, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 2})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(t.Context())
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
	s := open(t)
	var n int
	if err := s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM ordo_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, latest, _ := s.SchemaVersion(t.Context()); n != latest {
		t.Errorf("%d migrations recorded, want %d", n, latest)
	}
}

// TestMigrateSchemaOption: Options.Schema names (and Migrate creates) the
// schema; a schema newer than the binary is refused.
func TestMigrateSchemaOption(t *testing.T) {
	t.Parallel()
	url, schema := pgtest.Schema(t)
	inner := schema + "_inner"
	t.Cleanup(func() { pgtest.Drop(t, url, inner) })
	s, err := postgres.Open(t.Context(), url, &postgres.Options{Schema: inner})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate into a new schema: %v", err)
	}
	if _, err := s.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "a", Workflow: "wf"}); err != nil {
		t.Fatal(err)
	}
	var where string
	if err := s.Pool().QueryRow(t.Context(), `SELECT table_schema FROM information_schema.tables WHERE table_name = 'instances' AND table_schema = $1`, inner).Scan(&where); err != nil {
		t.Fatalf("instances table not in %s: %v", inner, err)
	}
	if _, err := s.Pool().Exec(t.Context(), `INSERT INTO ordo_migrations (version, name) VALUES (999, 'future')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err == nil {
		t.Error("Migrate accepted a newer schema")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	if _, err := postgres.Open(t.Context(), "postgres://u:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=1", nil); err == nil {
		t.Error("Open of an unreachable server succeeded")
	} else if contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
	if _, err := postgres.Open(t.Context(), "postgres://x", &postgres.Options{MaxConns: -1}); err == nil {
		t.Error("Open with negative MaxConns succeeded")
	}
	if _, err := postgres.Open(t.Context(), "::not a url::", nil); err == nil {
		t.Error("Open of a bad connection string succeeded")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestCommitSameInstanceTwice: updates of one instance in one batch apply
// in order, so an update after the one that released the lease is fenced.
func TestCommitSameInstanceTwice(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "b"} {
		if _, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: id, Workflow: "wf", Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := s.InstanceClaim(ctx, &store.ClaimParams{Owner: "w", Limit: 2, Now: t0, LeaseUntil: t0.Add(time.Hour)})
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	tok := map[string]string{}
	for _, in := range claimed {
		tok[in.ID] = in.LeaseToken
	}
	step := func(key string) []*store.Step {
		return []*store.Step{{Key: key, Name: "s", Kind: store.KindDo, Status: store.StepCompleted, StartedAt: t0}}
	}
	res, err := s.Commit(ctx, []*store.Update{
		{InstanceID: "b", LeaseToken: tok["b"], Now: t0, Steps: step("b1")},
		{InstanceID: "a", LeaseToken: tok["a"], Now: t0, Steps: step("a1"), CustomStatus: ptr("first")},
		{InstanceID: "a", LeaseToken: tok["a"], Now: t0, Steps: step("a2"),
			State: &store.StateChange{Status: store.StatusWaiting}, Release: true},
		{InstanceID: "a", LeaseToken: tok["a"], Now: t0, Steps: step("a3"), CustomStatus: ptr("late")},
		{InstanceID: "b", LeaseToken: tok["b"], Now: t0, Steps: step("b2")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.UpdateResult{
		{Status: store.StatusRunning}, {Status: store.StatusRunning}, {Status: store.StatusWaiting},
		{Err: store.ErrLeaseLost, Status: store.StatusWaiting}, {Status: store.StatusRunning},
	}
	for i := range want {
		if !errors.Is(res[i].Err, want[i].Err) || res[i].Status != want[i].Status {
			t.Errorf("result %d = %+v, want %+v", i, res[i], want[i])
		}
	}
	j, _ := s.JournalLoad(ctx, "a")
	if len(j.Steps) != 2 {
		t.Errorf("a has %d steps, want a1 and a2", len(j.Steps))
	}
	if in, _ := s.InstanceGet(ctx, "a"); in.CustomStatus != "first" {
		t.Errorf("a custom status %q, want first", in.CustomStatus)
	}
}

// TestCommitCreateRetried: a claimed create whose commit went through but
// whose answer was lost (the committer retries the batch) counts as
// created, not as ErrAlreadyExists, while its lease is unchanged.
func TestCommitCreateRetried(t *testing.T) {
	t.Parallel()
	s := open(t)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	u := &store.Update{InstanceID: "a", LeaseToken: "tok", Now: t0,
		Create: &store.InstanceCreateParams{ID: "a", Workflow: "wf", Params: json.RawMessage(`{}`), Now: t0,
			Claim: &store.CreateClaim{Owner: "e", Token: "tok", LeaseUntil: t0.Add(time.Minute)}}}
	for try := range 2 {
		res, err := s.Commit(t.Context(), []*store.Update{u})
		if err != nil || res[0].Err != nil || res[0].Status != store.StatusRunning {
			t.Fatalf("try %d: %+v, %v", try, res, err)
		}
	}
	other := *u
	other.LeaseToken = "tok2"
	other.Create = &store.InstanceCreateParams{ID: "a", Workflow: "wf", Claim: &store.CreateClaim{Owner: "e", Token: "tok2"}}
	res, err := s.Commit(t.Context(), []*store.Update{&other})
	if err != nil || !errors.Is(res[0].Err, store.ErrAlreadyExists) {
		t.Fatalf("create with another token: %+v, %v; want ErrAlreadyExists", res, err)
	}
}

// TestWakeups: creating an unclaimed instance, sending an event and
// resuming an instance wake a listener; so does the listener's own
// reconnection after its connection is killed.
func TestWakeups(t *testing.T) {
	t.Parallel()
	s := open(t)
	other := open2(t, s) // another process's store on the same schema
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := s.Wakeups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expect := func(what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(time.Minute):
			t.Fatalf("no wake-up within a minute after %s", what)
		}
	}
	drain := func() {
		for {
			select {
			case <-ch:
			default:
				return
			}
		}
	}
	// The LISTEN may not be in place the moment Wakeups returns: create
	// until a wake-up arrives.
	waitForWake(t, ch, func(i int) {
		if _, err := other.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: fmt.Sprintf("x%d", i), Workflow: "wf"}); err != nil {
			t.Fatal(err)
		}
	})
	drain()
	if _, err := other.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "a", Workflow: "wf"}); err != nil {
		t.Fatal(err)
	}
	expect("an instance was created")
	drain()
	if _, err := other.EventSend(t.Context(), &store.EventSendParams{InstanceID: "a", Type: "paid"}); err != nil {
		t.Fatal(err)
	}
	expect("an event was sent")
	drain()
	if _, err := other.InstanceControl(t.Context(), &store.ControlParams{InstanceID: "a", Action: store.ActionPause}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.InstanceControl(t.Context(), &store.ControlParams{InstanceID: "a", Action: store.ActionResume}); err != nil {
		t.Fatal(err)
	}
	expect("an instance was resumed")
	drain()

	// Kill the listening connection: it reconnects and signals.
	if _, err := other.Pool().Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN %' AND datname = current_database() AND query LIKE '%' || $1 || '%'`, s.Schema()); err != nil {
		t.Fatal(err)
	}
	expect("the listener reconnected")
	cancel()
	for range ch { // closed when ctx ends
	}
}

// waitForWake calls act(0), act(1), ... until ch delivers.
func waitForWake(t *testing.T, ch <-chan struct{}, act func(i int)) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for i := 0; ; i++ {
		act(i)
		select {
		case <-ch:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no wake-up within a minute")
		}
	}
}

// open2 opens a second store on s's schema, as another process would.
func open2(t *testing.T, s *postgres.Store) *postgres.Store {
	t.Helper()
	o, err := postgres.Open(t.Context(), pgtest.WithSearchPath(t, pgtest.URL(t), s.Schema()), &postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func ptr[T any](v T) *T { return &v }

// TestMeasureInsertBaseline: the baseline runs, from one and several
// connections, and leaves no table behind.
func TestMeasureInsertBaseline(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	for _, conns := range []int{1, 3} {
		rate, err := postgres.MeasureInsertBaseline(t.Context(), url, conns, 50*time.Millisecond)
		if err != nil || rate <= 0 {
			t.Fatalf("MeasureInsertBaseline(%d) = %v, %v", conns, rate, err)
		}
	}
	s, err := postgres.Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'ordo_baseline_%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d baseline tables left, %v", n, err)
	}
	if _, err := postgres.MeasureInsertBaseline(context.Background(), url, 0, time.Second); err == nil {
		t.Error("MeasureInsertBaseline with 0 connections succeeded")
	}
}

// TestClaimPrefetchesJournal: the journal JournalLoad returns right after
// a claim (read by the claim) equals one read afresh.
func TestClaimPrefetchesJournal(t *testing.T) {
	t.Parallel()
	s := open(t)
	fresh := open2(t, s) // no prefetched journals
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "b"} {
		if _, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: id, Workflow: "wf", Now: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EventSend(ctx, &store.EventSendParams{InstanceID: id, Type: "paid", Payload: json.RawMessage(`{"n":1}`), Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := s.InstanceClaim(ctx, &store.ClaimParams{Owner: "w", Limit: 2, Now: t0, LeaseUntil: t0.Add(time.Minute)})
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	for _, in := range claimed {
		j, _ := fresh.JournalLoad(ctx, in.ID)
		res, err := s.Commit(ctx, []*store.Update{{InstanceID: in.ID, LeaseToken: in.LeaseToken, Now: t0,
			Steps: []*store.Step{{Key: "s#1", Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted,
				Output: json.RawMessage(`"x"`), StartedAt: t0, FinishedAt: &t0}},
			Attempts:      []store.AttemptRecord{{StepKey: "s#1", Attempt: store.Attempt{Number: 1, StartedAt: t0, FinishedAt: t0}}},
			ConsumeEvents: []store.EventConsumption{{EventID: j.Events[0].ID, StepKey: "s#1"}},
			State:         &store.StateChange{Status: store.StatusQueued}, Release: true}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("commit %s: %v %v", in.ID, res, err)
		}
	}
	again, err := s.InstanceClaim(ctx, &store.ClaimParams{Owner: "w", Limit: 2, Now: t0.Add(time.Second), LeaseUntil: t0.Add(time.Minute)})
	if err != nil || len(again) != 2 {
		t.Fatalf("second claim: %v, %v", again, err)
	}
	for _, in := range again {
		got, err := s.JournalLoad(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.JournalLoad(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: prefetched journal differs from a fresh load (-fresh +prefetched):\n%s", in.ID, diff)
		}
		if len(got.Steps) != 1 || len(got.Steps[0].History) != 1 || got.Events[0].ConsumedBy != "s#1" {
			t.Errorf("%s: journal %+v", in.ID, got)
		}
	}
}
