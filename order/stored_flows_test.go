package order_test

import (
	"context"
	"testing"

	"github.com/ordohq/ordo/store"
)

// TestStoredFlowThatNoLongerParsesDoesNotStopStart: a flow stored before a
// rule was tightened (here a trigger filter that is not valid CEL) must not
// keep the service, and so `ordo serve`, from starting; the other flows
// are still registered.
func TestStoredFlowThatNoLongerParsesDoesNotStopStart(t *testing.T) {
	f := setup(t, nil)
	fs := f.env.Store.(store.FlowStore)
	bad := `{"triggers": [{"event": "order.placed", "if": "payload.("}], "steps": [{"stepDefinitionId": "notify", "type": "send-email",
		"successStatus": "Notified", "options": {"recipients": ["ops@example.com"], "subject": "s", "message": "m"}}]}`
	if _, _, err := fs.FlowPut(context.Background(), &store.FlowPutParams{Name: "broken", Hash: "h-broken", Definition: []byte(bad)}); err != nil {
		t.Fatal(err)
	}
	f.apply("good", seedFlow(t, f.rest.URL))
	if err := f.svc.RegisterStoredFlows(context.Background()); err != nil {
		t.Fatalf("RegisterStoredFlows with one unparsable stored flow: %v", err)
	}
	f.create(sampleOrder("after-broken", "good"))
}
