package postgres_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestFlows(t *testing.T) {
	storetest.RunFlows(t, func(t *testing.T) store.Store { return open(t) })
}

// open returns a migrated store in a fresh schema, closed when the test
// ends (before the schema is dropped).
func open(t *testing.T) *postgres.Store { return openB(t) }

// openB is open for tests and benchmarks.
func openB(t testing.TB) *postgres.Store {
	t.Helper()
	url, _ := pgtest.Schema(t)
	s, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}
