package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ordohq/ordo/store/storetest"
)

// BenchmarkCommitCreate measures creates per second through Commit in
// batches of 100 claimed creates (the engine's hot path), without search
// attributes and with an order's six:
// go test -run - -bench CommitCreate ./store/sqlite
func BenchmarkCommitCreate(b *testing.B) {
	for _, nattrs := range []int{0, 6} {
		b.Run(fmt.Sprintf("attrs=%d", nattrs), func(b *testing.B) {
			s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			storetest.BenchCreates(b, s, nattrs)
		})
	}
}
