package postgres

import (
	"testing"

	"github.com/ordohq/ordo/store/storetest"
)

func TestFirstAttemptOnStepRow(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, 2)
	storetest.RunFirstAttempt(t, s, func(t *testing.T) int {
		var n int
		if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM attempts`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}
