// Package storetest is the conformance suite of the store seam: the
// behaviour every backend (store/sqlite, store/postgres, store/memory) must
// share, written once against the store.Store interface.
//
// A backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), nil)
//			...
//			return s
//		})
//	}
//
// Every test runs in parallel on a store of its own, with explicit times
// (the suite never reads the wall clock and never sleeps).
package storetest
