package metrics_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ordohq/ordo/metrics"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/sqlite"
)

// TestStoreFiguresPerBackend: WatchStore on SQLite and PostgreSQL serves
// their pools' sizes and, from the database, an instance created queued.
func TestStoreFiguresPerBackend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := map[string]func(t *testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store {
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), &sqlite.Options{ReadConns: 3})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			return st
		},
		"postgres": func(t *testing.T) store.Store {
			conn, _ := pgtest.Schema(t)
			st, err := postgres.Open(ctx, conn, &postgres.Options{MaxConns: 7})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
	for name, tc := range map[string][]want{
		"sqlite": {{"ordo_db_pool_max_connections", []string{"pool", "write"}, 1},
			{"ordo_db_pool_max_connections", []string{"pool", "read"}, 3}},
		"postgres": {{"ordo_db_pool_max_connections", []string{"pool", "main"}, 7}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open[name](t)
			now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
			if _, err := st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "a", Workflow: "wf", Now: now}); err != nil {
				t.Fatal(err)
			}
			m := metrics.New(&metrics.Options{NoRuntime: true, Clock: ordotest.NewClock(now.Add(time.Minute))})
			m.WatchStore(st)
			b := &bundle{m: m}
			check(t, b.scrape(t), append(tc,
				want{"ordo_instances", []string{"status", "queued"}, 1},
				want{"ordo_instances_oldest_due_age_seconds", nil, 60}))
		})
	}
}
