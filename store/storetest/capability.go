package storetest

import (
	"reflect"
	"testing"

	"github.com/ordohq/ordo/store"
)

// capabilityTest is one test of an optional capability C of a store.
type capabilityTest[C any] struct {
	name string
	fn   func(t *testing.T, c C)
}

// runCapability runs tests in parallel, each on a store of its own from
// open, which must implement C.
func runCapability[C any](t *testing.T, open func(t *testing.T) store.Store, tests []capabilityTest[C]) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			t.Cleanup(func() {
				if err := st.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			c, ok := st.(C)
			if !ok {
				t.Fatalf("%T does not implement %v", st, reflect.TypeFor[C]())
			}
			tc.fn(t, c)
		})
	}
}
