package ordo_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// TestWaitForEventAwait: a waiting event step records the event type and
// the match it waits for (Step.Await), on every backend, and keeps it
// once the event arrived; a wait without Match records the type alone.
func TestWaitForEventAwait(t *testing.T) {
	for _, bk := range matchStores {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			env := ordotest.New(t, &ordotest.Options{Store: bk.open(t)})
			env.Register(ordo.NewWorkflow("pay", func(ctx context.Context, order string) (paidEvent, error) {
				if _, err := ordo.WaitForEvent[json.RawMessage](ctx, "approved", "approval", time.Hour); err != nil {
					return paidEvent{}, err
				}
				return ordo.WaitForEvent[paidEvent](ctx, "paid", "payment.received", time.Hour,
					ordo.Match("orderId", order), ordo.Match("amount", 12))
			}))
			createWith(t, env, "w", "pay", `"C-1"`)
			awaits := func(in *ordo.Instance) map[string]*store.EventAwait {
				out := map[string]*store.EventAwait{}
				for _, st := range in.Steps {
					if st.Kind == store.KindEvent {
						out[st.Name] = st.Await
					}
				}
				return out
			}
			approval := &store.EventAwait{Type: "approval"}
			in := env.WaitStatus("w", ordo.StatusWaiting)
			if diff := cmp.Diff(map[string]*store.EventAwait{"approved": approval}, awaits(in)); diff != "" {
				t.Errorf("first wait: awaits (-want +got):\n%s", diff)
			}
			env.SendEvent("w", "approval", true)
			paid := &store.EventAwait{Type: "payment.received",
				Match: map[string]json.RawMessage{"orderId": json.RawMessage(`"C-1"`), "amount": json.RawMessage(`12`)}}
			want := map[string]*store.EventAwait{"approved": approval, "paid": paid}
			in = waitFor(t, env.Engine, "w", "waiting for the payment", func(in *ordo.Instance) bool {
				return in.Status == ordo.StatusWaiting && len(awaits(in)) == 2
			})
			if diff := cmp.Diff(want, awaits(in)); diff != "" {
				t.Errorf("second wait: awaits (-want +got):\n%s", diff)
			}
			env.SendEvent("w", "payment.received", paidEvent{OrderID: "C-1", Amount: 12})
			in = env.WaitDone("w")
			if diff := cmp.Diff(want, awaits(in)); diff != "" {
				t.Errorf("done: awaits (-want +got):\n%s", diff)
			}
		})
	}
}
