package postgres_test

import (
	"fmt"
	"testing"

	"github.com/ordohq/ordo/store/storetest"
)

// BenchmarkCommitCreate measures creates per second through Commit in
// batches of 100 claimed creates (the engine's hot path), without search
// attributes and with an order's six:
// go test -run - -bench CommitCreate ./store/postgres
func BenchmarkCommitCreate(b *testing.B) {
	for _, nattrs := range []int{0, 6} {
		b.Run(fmt.Sprintf("attrs=%d", nattrs), func(b *testing.B) {
			storetest.BenchCreates(b, openB(b), nattrs)
		})
	}
}
