package retention_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/sqlite"
)

const day = 24 * time.Hour

// backends opens a fresh store of each backend; PostgreSQL is skipped
// without ORDO_TEST_POSTGRES_URL.
var backends = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"memory", func(t *testing.T) store.Store { return memory.New() }},
	{"sqlite", func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ordo.db"), nil)
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	}},
	{"postgres", func(t *testing.T) store.Store {
		url, _ := pgtest.Schema(t)
		return openPostgres(t, url)
	}},
}

func openPostgres(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

type none struct{}

// workflows registers the test's workflows on env: "wf" (no period of
// its own) completes, "fails" errors, "keep" keeps its instances forever,
// "long" for 90 days, and "sleeper" sleeps for 1,000 days.
func workflows(env *ordotest.Env) {
	done := func(context.Context, none) (none, error) { return none{}, nil }
	env.Register(
		ordo.NewWorkflow("wf", done),
		ordo.NewWorkflow("fails", func(context.Context, none) (none, error) {
			return none{}, ordo.NonRetryable(errors.New("no"))
		}),
		ordo.NewWorkflow("keep", done).WithRetention(0),
		ordo.NewWorkflow("long", done).WithRetention(90*day),
		ordo.NewWorkflow("sleeper", func(ctx context.Context, _ none) (none, error) {
			return none{}, ordo.Sleep(ctx, "nap", 1000*day)
		}),
	)
}

// finish starts an instance of workflow and waits until it has status.
func finish(env *ordotest.Env, workflow string, status ordo.Status) string {
	id := env.Start(workflow, none{})
	env.WaitStatus(id, status)
	return id
}

// exists reports whether instance id is still stored.
func exists(t *testing.T, env *ordotest.Env, id string) bool {
	t.Helper()
	_, err := env.Engine.Get(t.Context(), id)
	if err != nil && !errors.Is(err, ordo.ErrNotFound) {
		t.Fatalf("Get %q: %v", id, err)
	}
	return err == nil
}
