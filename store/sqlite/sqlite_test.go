package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
	"github.com/ordohq/ordo/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestFlows(t *testing.T) {
	storetest.RunFlows(t, func(t *testing.T) store.Store { return open(t) })
}

// open returns a migrated store on a file under t.TempDir(), closed when
// the test ends.
func open(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ordo.db"), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}
