package order_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// TestFlowApplyAudit: an apply that creates a version records the previous
// and the new version numbers, one that changes nothing records nothing;
// an order's audit trail lists its own control actions.
func TestFlowApplyAudit(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	seed := seedFlow(t, "https://shop.example.com/orders")
	for _, body := range []string{string(seed), string(seed), strings.Replace(string(seed), `"Success subject"`, `"Shipped"`, 1)} {
		if status, raw := f.do("PUT", "/v1/flows/standard", body); status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("PUT: %d %s", status, raw)
		}
	}
	as := f.env.Engine.Store().(store.ActionStore)
	page, err := as.ActionList(t.Context(), &store.ActionListParams{Action: store.ActionFlowApply})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Actions) != 2 {
		t.Fatalf("flow.apply entries: %+v, want 2 (the repeat changes nothing)", page.Actions)
	}
	v2, v1 := page.Actions[0], page.Actions[1]
	if v2.Actor != "local" || v2.Target != "flow/standard" || string(v2.Before) != `{"version":1}` || !strings.Contains(string(v2.After), `"version":2`) {
		t.Errorf("second apply: %+v, want local, flow/standard, before version 1, after version 2", v2)
	}
	if v1.Before != nil || !strings.Contains(string(v1.After), `"version":1`) {
		t.Errorf("first apply: before %s after %s, want no before and version 1", v1.Before, v1.After)
	}

	if status, raw := f.do("POST", "/v1/orders", sampleOrder("C-9", "standard")); status != http.StatusCreated {
		t.Fatalf("POST /v1/orders: %d %s", status, raw)
	}
	// Restart is allowed in every status, however far the order got.
	if _, err := f.env.Engine.Restart(ordo.WithReason(t.Context(), "again"), "C-9", nil); err != nil {
		t.Fatal(err)
	}
	status, raw := f.do("GET", "/v1/orders/C-9/audit", nil)
	got := decode[store.ActionPage](t, raw)
	if status != http.StatusOK || len(got.Actions) != 1 || got.Actions[0].Action != "restart" || got.Actions[0].Reason != "again" {
		t.Errorf("GET /v1/orders/C-9/audit: %d %s, want the restart", status, raw)
	}
}
