package order_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/store"
)

// erpFlow is a flow that makes production files and notifies the ERP at
// uri; a 4xx from the ERP fails the order without retries.
func erpFlow(uri string) []byte {
	return []byte(`[
		{"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "In production",
		 "options": {}, "onSuccess": "notify-erp"},
		{"stepDefinitionId": "notify-erp", "type": "consume-rest-api", "successStatus": "Sent to ERP",
		 "options": {"uri": "` + uri + `"}}
	]`)
}

// failedOrder applies v1 of flow "shop" pointing at an ERP that refuses
// everything and returns the failed order C-3001 and the good ERP.
func failedOrder(t *testing.T) (*fixture, *ordertest.Endpoint, *ordertest.Endpoint) {
	f := setup(t, nil)
	bad := ordertest.StartEndpoint(t, always(http.StatusUnprocessableEntity))
	good := ordertest.StartEndpoint(t, always(http.StatusOK))
	f.apply("shop", erpFlow(bad.URL+"/erp"))
	f.create(sampleOrder("C-3001", "shop"))
	if o := f.finish("C-3001"); o.InstanceStatus != ordo.StatusErrored || o.Status != "In production" {
		t.Fatalf("order on v1: %s %q, want errored, In production", o.InstanceStatus, o.Status)
	}
	return f, bad, good
}

// TestRedriveOnNewFlowVersion: after v2 of the flow fixes the ERP URL, a
// restart from notify-erp with flowVersion latest runs v2: the order
// completes, the files step is not repeated, and the first run's failed
// attempt stays readable.
func TestRedriveOnNewFlowVersion(t *testing.T) {
	t.Parallel()
	f, bad, good := failedOrder(t)
	f.apply("shop", erpFlow(good.URL+"/erp"))
	// The good ERP answers only once the restart's answer is read, so
	// that answer shows the order before the new run's step finished.
	gate := make(chan struct{})
	var open sync.Once
	t.Cleanup(func() { open.Do(func() { close(gate) }) }) // before the ERP closes
	good.SetRespond(func(r *http.Request, req *ordertest.Request) (int, string) {
		select {
		case <-gate:
		case <-r.Context().Done():
		}
		return always(http.StatusOK)(r, req)
	})

	status, raw := f.do("POST", "/v1/orders/C-3001/restart",
		`{"fromStep": "notify-erp", "flowVersion": "latest", "reason": "ERP URL fixed in v2"}`)
	if status != http.StatusOK {
		t.Fatalf("restart: %d %s", status, raw)
	}
	if o := decode[order.Order](t, raw); o.FlowVersion != 2 || o.Run != 2 || o.Status != "In production" {
		t.Errorf("restarted order: version %d run %d status %q; want 2, 2, In production (the kept step's)", o.FlowVersion, o.Run, o.Status)
	}
	open.Do(func() { close(gate) })
	o := f.finish("C-3001")
	if o.InstanceStatus != ordo.StatusComplete || o.Status != "Sent to ERP" || o.FlowVersion != 2 {
		t.Fatalf("after the redrive: %s %q v%d, want complete, Sent to ERP, v2", o.InstanceStatus, o.Status, o.FlowVersion)
	}
	if n, m := len(bad.Requests()), len(good.Requests()); n != 1 || m != 1 {
		t.Errorf("the bad ERP got %d requests, the good one %d; want 1 and 1", n, m)
	}
	if g := step(t, o, "generate#1"); g.Attempts != 1 {
		t.Errorf("generate ran %d times; the restart keeps it", g.Attempts)
	}
	if len(o.Runs) != 1 || len(o.Runs[0].Steps) != 1 || o.Runs[0].Steps[0].Key != "notify-erp#1" ||
		o.Runs[0].Steps[0].History[0].Error == nil || !strings.Contains(o.Runs[0].Steps[0].History[0].Error.Message, "422") {
		t.Fatalf("runs: %s, want run 1 with notify-erp's 422", mustJSON(t, o.Runs))
	}
	if r := o.Runs[0].Restart; r.Reason != "ERP URL fixed in v2" || r.FromStep != "notify-erp" || !r.Redrive {
		t.Errorf("run 1's restart: %+v", r)
	}
	want := []string{"Created@ run 1", "In production@generate run 1", "In production@ run 2 restart", "Sent to ERP@notify-erp run 2"}
	var got []string
	for _, c := range o.StatusHistory {
		s := c.Status + "@" + c.Step + " run " + string(rune('0'+c.Run))
		if c.Restart != nil {
			s += " restart"
			if c.Restart.FromStep != "notify-erp" || c.Restart.FlowVersion != 2 || !strings.Contains(c.Restart.Message, "run 2 from step notify-erp") {
				t.Errorf("restart entry: %+v", c.Restart)
			}
		}
		got = append(got, s)
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("status history:\n got %v\nwant %v", got, want)
	}
	status, raw = f.do("GET", "/v1/instances/C-3001/runs", nil)
	if status != http.StatusOK || !strings.Contains(string(raw), `"run":2`) || !strings.Contains(string(raw), `"notify-erp#1"`) {
		t.Errorf("GET runs: %d %s", status, raw)
	}
}

// TestRedriveIncompatibleVersion: a version that lacks a kept step, or
// has it with another type, is refused with 409 listing each difference.
func TestRedriveIncompatibleVersion(t *testing.T) {
	t.Parallel()
	f, _, good := failedOrder(t)
	renamed := strings.Replace(string(erpFlow(good.URL)), `"generate"`, `"make-files"`, 1)
	f.apply("shop", []byte(renamed))
	retyped := `[
		{"stepDefinitionId": "generate", "type": "send-email", "successStatus": "In production",
		 "options": {"recipients": ["ops@example.com"], "subject": "s", "message": "m"}, "onSuccess": "notify-erp"},
		{"stepDefinitionId": "notify-erp", "type": "consume-rest-api", "successStatus": "Sent to ERP", "options": {"uri": "` + good.URL + `"}}
	]`
	f.apply("shop", []byte(retyped))
	for _, tc := range []struct {
		version, field string
	}{{"2", "stepDefinitionId"}, {"3", "type"}} {
		status, raw := f.do("POST", "/v1/orders/C-3001/restart", `{"fromStep": "notify-erp", "flowVersion": `+tc.version+`}`)
		e := decode[apiError](t, raw)
		if status != http.StatusConflict || e.Error.Code != order.CodeIncompatibleVersion {
			t.Fatalf("restart onto v%s: %d %s, want 409 %s", tc.version, status, raw, order.CodeIncompatibleVersion)
		}
		diffs := decode[[]order.VersionDifference](t, e.Error.Details)
		if len(diffs) == 0 || diffs[0].Step != "generate" || diffs[0].Field != tc.field {
			t.Errorf("differences onto v%s: %s, want step generate field %s", tc.version, e.Error.Details, tc.field)
		}
	}
	if o := f.finish("C-3001"); o.Run != 1 || o.FlowVersion != 1 {
		t.Errorf("refused redrives changed the order: run %d version %d", o.Run, o.FlowVersion)
	}
	// From the beginning nothing is kept: any version will do.
	if status, raw := f.do("POST", "/v1/orders/C-3001/restart", `{"flowVersion": 3}`); status != http.StatusOK {
		t.Errorf("restart from the beginning onto v3: %d %s", status, raw)
	}
	for _, body := range []string{`{"flowVersion": "newest"}`, `{"flowVersion": 0}`} {
		status, raw := f.do("POST", "/v1/orders/C-3001/restart", body)
		if e := decode[apiError](t, raw); status != http.StatusBadRequest || !strings.Contains(string(e.Error.Details), `"flowVersion"`) {
			t.Errorf("restart with %s: %d %s, want 400 naming flowVersion", body, status, raw)
		}
	}
	if status, _ := f.do("POST", "/v1/orders/C-3001/restart", `{"flowVersion": 9}`); status != http.StatusNotFound {
		t.Errorf("restart onto a version that does not exist: %d, want 404", status)
	}
}

// TestRedriveParams: params replace or merge the order document, are
// checked like a create (400 naming the field), and the audit trail holds
// the params before and after.
func TestRedriveParams(t *testing.T) {
	t.Parallel()
	f, _, good := failedOrder(t)
	f.apply("shop", erpFlow(good.URL))
	status, raw := f.do("POST", "/v1/orders/C-3001/restart", `{"fromStep": "notify-erp", "paramsMode": "merge",
		"params": {"customer": {"email": "not-an-address"}}}`)
	if e := decode[apiError](t, raw); status != http.StatusBadRequest || !strings.Contains(string(e.Error.Details), `"customer.email"`) {
		t.Fatalf("merge with a bad e-mail: %d %s, want 400 naming customer.email", status, raw)
	}
	status, raw = f.do("POST", "/v1/orders/C-3001/restart", `{"paramsMode": "replace", "params": {"customer": {"email": "a@example.com"}}}`)
	if e := decode[apiError](t, raw); status != http.StatusBadRequest || !strings.Contains(string(e.Error.Details), `"items"`) {
		t.Fatalf("replace without items: %d %s, want 400 naming items", status, raw)
	}

	status, raw = f.do("POST", "/v1/orders/C-3001/restart", `{"fromStep": "notify-erp", "flowVersion": "latest", "paramsMode": "merge",
		"params": {"customer": {"name": "Ada King"}, "metadata": {"channel": null, "ticket": "T-9"}}, "reason": "customer renamed"}`)
	if status != http.StatusOK {
		t.Fatalf("merge redrive: %d %s", status, raw)
	}
	o := f.finish("C-3001")
	if o.Customer.Name != "Ada King" || o.Customer.Email != "ada@example.com" || o.Metadata["ticket"] != "T-9" || o.Metadata["channel"] != nil ||
		len(o.Items) != 3 || o.InstanceStatus != ordo.StatusComplete {
		t.Fatalf("after the merge: %s", mustJSON(t, o))
	}
	as, ok := f.env.Store.(store.ActionStore)
	if !ok {
		t.Skip("the store keeps no audit trail")
	}
	page, err := as.ActionList(context.Background(), &store.ActionListParams{InstanceID: "C-3001", Action: ordo.ActionRedrive})
	if err != nil || len(page.Actions) != 1 {
		t.Fatalf("audit entries of the redrive: %v %v", page, err)
	}
	a := page.Actions[0]
	var before, after struct {
		Version  int            `json:"version"`
		Customer order.Customer `json:"customer"`
	}
	if json.Unmarshal(a.Before, &before) != nil || json.Unmarshal(a.After, &after) != nil ||
		before.Customer.Name != "Ada Lovelace" || after.Customer.Name != "Ada King" || before.Version != 1 || after.Version != 2 || a.Reason != "customer renamed" {
		t.Errorf("audit entry: reason %q before %s after %s", a.Reason, a.Before, a.After)
	}

	// Replace: the whole document.
	doc := `{"customer": {"name": "Grace", "email": "grace@example.com"}, "items": [{"sku": "GIFT-CARD", "quantity": 2}]}`
	if status, raw := f.do("POST", "/v1/orders/C-3001/restart", `{"paramsMode": "replace", "params": `+doc+`}`); status != http.StatusOK {
		t.Fatalf("replace redrive: %d %s", status, raw)
	}
	o = f.finish("C-3001")
	if o.Customer.Name != "Grace" || len(o.Items) != 1 || o.Items[0].Quantity != 2 || o.Metadata != nil || o.Run != 3 {
		t.Errorf("after the replace: %s", mustJSON(t, o))
	}
	// Search follows the edited document: the new e-mail and SKU find the
	// order, the old e-mail no longer does.
	for q, want := range map[string]bool{"email=grace@example.com&sku=GIFT-CARD": true, "email=ada@example.com": false} {
		status, raw := f.do("GET", "/v1/orders?"+q, "")
		if status != http.StatusOK || strings.Contains(string(raw), `"C-3001"`) != want {
			t.Errorf("GET /v1/orders?%s after the replace: %d %s, want C-3001 found %v", q, status, raw, want)
		}
	}
}
