package sqlite

import (
	"path/filepath"
	"testing"

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
