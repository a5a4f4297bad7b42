package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// benchPayload is about the size of an order's params.
const benchPayload = `{"flow":"standard","version":2,"customer":{"name":"Ada Lovelace","email":"ada@example.com"},"items":[{"sku":"MUG-11OZ","quantity":2},{"sku":"TEE-M","quantity":1}],"metadata":{"channel":"web"}}`

// BenchCreates runs b.Loop committing batches of 100 claimed creates,
// each with nattrs search attributes, and reports creates/s.
func BenchCreates(b *testing.B, s store.Store, nattrs int) {
	const batch = 100
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	updates := make([]*store.Update, batch)
	for n := 0; b.Loop(); n++ {
		for i := range updates {
			id := fmt.Sprintf("i%07d-%03d", n, i)
			var attrs []store.Attribute
			for a := range nattrs {
				attrs = append(attrs, store.Attribute{Key: fmt.Sprintf("k%d", a), Value: fmt.Sprintf("v%d-%d", a, (n*batch+i)%5000)})
			}
			tok := "tok-" + id
			updates[i] = &store.Update{InstanceID: id, LeaseToken: tok, Now: t0.Add(time.Duration(n) * time.Millisecond),
				Create: &store.InstanceCreateParams{ID: id, Workflow: "flow/standard", Params: json.RawMessage(benchPayload),
					Claim: &store.CreateClaim{Owner: "w", Token: tok, LeaseUntil: t0.Add(time.Hour)}, Attributes: attrs}}
		}
		res, err := s.Commit(b.Context(), updates)
		if err != nil || res[0].Err != nil {
			b.Fatalf("commit: %v %v", err, res[0].Err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "creates/s")
}
