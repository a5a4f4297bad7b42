package sqlite_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// BenchmarkEventSend measures EventSend with and without the per-instance
// limits on an instance that already holds 500 events of 4 KB: the limits
// read the instance's event totals, not its events, so they cost the same
// whatever the instance holds.
func BenchmarkEventSend(b *testing.B) {
	payload := json.RawMessage(fmt.Sprintf("%q", string(make([]byte, 1000))))
	for _, limited := range []bool{false, true} {
		b.Run(fmt.Sprintf("limits=%v", limited), func(b *testing.B) {
			s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "ordo.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			if _, err := s.InstanceCreate(b.Context(), &store.InstanceCreateParams{ID: "a", Workflow: "wf"}); err != nil {
				b.Fatal(err)
			}
			for range 500 {
				if _, err := s.EventSend(b.Context(), &store.EventSendParams{InstanceID: "a", Type: "t", Payload: payload}); err != nil {
					b.Fatal(err)
				}
			}
			p := &store.EventSendParams{InstanceID: "a", Type: "t", Payload: payload}
			if limited {
				p.MaxEvents, p.MaxBytes = 1<<30, 1<<40
			}
			b.ResetTimer()
			for range b.N {
				if _, err := s.EventSend(b.Context(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
