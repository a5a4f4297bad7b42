package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/sqlite"
)

// readyServer serves the API of an engine on st, not started yet.
func readyServer(t *testing.T, st store.Store) (*httptest.Server, *ordo.Engine) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log, AllowedHosts: []string{"ordo.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return hs, e
}

// wantReady checks GET /readyz: 200 ready, or 503 not_ready with a reason
// containing reason.
func wantReady(t *testing.T, hs *httptest.Server, reason string) {
	t.Helper()
	code, out := call(t, hs, "GET", "/readyz", "")
	if reason == "" {
		if code != 200 || out["status"] != "ready" {
			t.Fatalf("readyz: %d %v, want 200 ready", code, out)
		}
		return
	}
	got, _ := out["reason"].(string)
	if code != 503 || out["status"] != "not_ready" || !strings.Contains(got, reason) {
		t.Fatalf("readyz: %d %v, want 503 not_ready naming %q", code, out, reason)
	}
}

func TestReadyzSQLite(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs, e := readyServer(t, st)
	wantReady(t, hs, "migrations are not current")
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	wantReady(t, hs, "engine is not running")
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wantReady(t, hs, "")
	// Open like /healthz: the Host allow-list does not apply (the test
	// server's 127.0.0.1 is not on it).
	if code, out := call(t, hs, "GET", "/v1/workflows", ""); code != 403 {
		t.Fatalf("GET /v1/workflows with a Host off the list: %d %v, want 403", code, out)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	wantReady(t, hs, "engine is not running")
}

// TestReadyzPostgresDown stops a throwaway PostgreSQL cluster under a
// running engine: /readyz turns 503 naming the database, and 200 again
// once the cluster is back.
func TestReadyzPostgresDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	pgtest.URL(t) // the same rule as the other PostgreSQL tests
	cluster := pgtest.StartCluster(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, cluster.URL, &postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hs, e := readyServer(t, st)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wantReady(t, hs, "")
	cluster.Stop("fast")
	wantReady(t, hs, "database unavailable")
	cluster.Start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, out := call(t, hs, "GET", "/readyz", "")
		if code == 200 && out["status"] == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz after the database came back: %d %v", code, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadyzPostgresSchemaGone drops the store's schema on the shared
// server: /readyz names the migrations.
func TestReadyzPostgresSchemaGone(t *testing.T) {
	conn, schema := pgtest.Schema(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, conn, &postgres.Options{Schema: schema, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hs, e := readyServer(t, st)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wantReady(t, hs, "")
	pgtest.Drop(t, pgtest.URL(t), schema)
	wantReady(t, hs, "migrations are not current")
}
