package postgres_test

import (
	"testing"

	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestJITOff: the store's connections run without JIT compilation unless
// the connection string asks for it.
func TestJITOff(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	for _, tc := range []struct{ url, want string }{{url, "off"}, {url + "&jit=on", "on"}} {
		s, err := postgres.Open(t.Context(), tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		err = s.Pool().QueryRow(t.Context(), "SHOW jit").Scan(&jit)
		s.Close()
		if err != nil || jit != tc.want {
			t.Errorf("jit = %q (%v), want %q", jit, err, tc.want)
		}
	}
}
