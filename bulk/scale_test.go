package bulk_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store"
)

// seedOrders creates n orders of flow (instances of its workflow with an
// order document as params, leased as seed's are), created before end, in
// commits of 1,000.
func seedOrders(t *testing.T, st store.Store, flow string, n int, end time.Time) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := 0; i < n; i += 1000 {
		var ups []*store.Update
		for j := i; j < min(i+1000, n); j++ {
			id, at := fmt.Sprintf("%s-%06d", flow, j), end.Add(-time.Duration(n-j)*time.Microsecond)
			doc := fmt.Sprintf(`{"flow":%q,"version":1,"customer":{"name":"Customer %d","email":"c%d@example.com"},`+
				`"items":[{"sku":"RING-%d","quantity":1,"product":{"template":"ring","parameters":{"size":7}}}]}`, flow, j, j, j%13)
			ups = append(ups, leasedCreate(id, order.WorkflowName(flow), json.RawMessage(doc), at))
			ids = append(ids, id)
		}
		res, err := st.Commit(t.Context(), ups)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	return ids
}

// TestHundredThousandOrders: among 100,000 generated orders on SQLite, a
// dry run counts 98,000 of one flow, a filter over all of them plus one
// is refused, and a job cancels the 2,000 orders of another flow, each
// once.
func TestHundredThousandOrders(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("generates 100,000 orders (not with -short or -race)")
	}
	t.Parallel()
	st := newCountingStore(openSQLite(t))
	b := setup(t, st, &bulk.Config{Orders: &order.Service{}})
	begin := time.Now()
	end := begin.Add(-time.Minute)
	seedOrders(t, st, "shop", 98_000, end.Add(-time.Second))
	recall := seedOrders(t, st, "recall", 2_000, end)
	t.Logf("generated 100,000 orders in %s", time.Since(begin).Round(time.Millisecond))

	begin = time.Now()
	pv, err := b.svc.DryRun(t.Context(), bulk.SourceOrders, &bulk.Request{Action: bulk.ActionCancel, Filter: json.RawMessage(`{"flow": "shop"}`)})
	if err != nil || pv.Count != 98_000 || pv.Exceeded || len(pv.Sample) != bulk.SampleSize {
		t.Fatalf("dry run of flow shop: %v, %+v", err, pv)
	}
	t.Logf("dry run counted 98,000 orders in %s", time.Since(begin).Round(time.Millisecond))
	seedOrders(t, st, "extra", 1, end.Add(-2*time.Second))
	if _, err := b.svc.Start(t.Context(), bulk.SourceOrders, &bulk.Request{Action: bulk.ActionCancel}); !errors.Is(err, bulk.ErrTooMany) {
		t.Fatalf("a job over 100,001 orders: %v, want ErrTooMany", err)
	}

	begin = time.Now()
	j, err := b.svc.Start(t.Context(), bulk.SourceOrders, &bulk.Request{Action: bulk.ActionCancel,
		Filter: json.RawMessage(`{"flow": "recall"}`), Reason: "supplier recall"})
	if err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, b.svc, j.ID, 3*time.Minute)
	t.Logf("cancelled 2,000 of 100,001 orders in %s (%.0f a second)", time.Since(begin).Round(time.Millisecond),
		2000/time.Since(begin).Seconds())
	if done.Status != store.StatusComplete || done.Progress.Succeeded != 2000 || done.Progress.Processed != 2000 {
		t.Fatalf("job: %s %+v", done.Status, done.Progress)
	}
	st.checkOnce(t, recall)
	if n := st.count(); n != 2000 {
		t.Errorf("%d actions applied, want 2000", n)
	}
}
