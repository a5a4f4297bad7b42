package order_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
)

// holdFlow POSTs the order first, so its orders stay "Created" while the
// endpoint holds the POST.
func holdFlow(uri, mailed string) []byte {
	return []byte(`[
	{"stepDefinitionId": "consume", "type": "consume-rest-api", "successStatus": "Sent", "options": {"uri": "` + uri + `"}, "onSuccess": "email"},
	{"stepDefinitionId": "email", "type": "send-email", "successStatus": "` + mailed + `",
	 "options": {"recipients": ["{{.Order.Customer.Email}}"], "subject": "Order {{.Order.ID}}", "message": "Thanks, {{.Order.Customer.Name}}."}}
]`)
}

// holdUntil answers POSTs only once release is closed (or the client gives
// up).
func holdUntil(release <-chan struct{}) ordertest.Respond {
	return func(r *http.Request, _ *ordertest.Request) (int, string) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return http.StatusOK, `{"received":true}`
	}
}

const orderBody = `{"id": "A-1", "flow": "seed",
	"customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
	"items": [{"sku": "RING-7", "quantity": 1, "product": {"template": "ring", "parameters": {"size": 7, "width": 4.5}}}],
	"metadata": {"channel": "web", "erpId": 12345678901234567890}}`

func TestHTTPCreateOrder(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("seed", seedFlow(t, f.rest.URL))

	status, raw := f.do("POST", "/v1/orders", orderBody)
	created := decode[order.Order](t, raw)
	if status != http.StatusCreated || created.ID != "A-1" || created.Status != order.StatusCreated || created.Flow != "seed" ||
		created.FlowVersion != 1 || created.InstanceID != "A-1" || len(created.StatusHistory) != 1 {
		t.Fatalf("create: %d %s", status, raw)
	}
	if !strings.Contains(string(raw), "12345678901234567890") {
		t.Errorf("a large metadata number lost its digits: %s", raw)
	}

	// The same document again, laid out differently: the existing order.
	again := `{"metadata": {"erpId": 12345678901234567890, "channel": "web"}, "flow": "seed", "id": "A-1",
		"items": [{"product": {"parameters": {"width": 4.5, "size": 7}, "template": "ring"}, "quantity": 1, "sku": "RING-7"}],
		"customer": {"email": "ada@example.com", "name": "Ada Lovelace"}}`
	status, raw = f.do("POST", "/v1/orders", again)
	if o := decode[order.Order](t, raw); status != http.StatusOK || o.ID != "A-1" || !o.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("repeated create: %d %s; want 200 with the existing order", status, raw)
	}
	f.finish("A-1")
	if n := len(f.rest.Requests()); n != 1 {
		t.Errorf("endpoint got %d POSTs; a repeated create must not start the flow again", n)
	}

	other := strings.Replace(orderBody, `"quantity": 1`, `"quantity": 2`, 1)
	status, raw = f.do("POST", "/v1/orders", other)
	if e := decode[apiError](t, raw); status != http.StatusConflict || e.Error.Code != "already_exists" {
		t.Errorf("same id, other body: %d %s; want 409 already_exists", status, raw)
	}

	unknown := strings.Replace(strings.Replace(orderBody, `"flow": "seed"`, `"flow": "nope"`, 1), `"A-1"`, `"A-2"`, 1)
	status, raw = f.do("POST", "/v1/orders", unknown)
	if e := decode[apiError](t, raw); status != http.StatusNotFound || e.Error.Code != "not_found" || !strings.Contains(e.Error.Message, `"nope"`) {
		t.Errorf("unknown flow: %d %s; want 404 naming the flow", status, raw)
	}
}

func TestHTTPCreateOrderInvalid(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("seed", seedFlow(t, f.rest.URL))
	tests := []struct {
		name, body, code string
		fields           []string
	}{
		{"bad email and quantity",
			`{"flow": "seed", "customer": {"name": "Ada", "email": "ada at example"}, "items": [{"sku": "X", "quantity": 0}]}`,
			order.CodeInvalidOrder, []string{"customer.email", "items[0].quantity"}},
		{"missing everything", `{}`, order.CodeInvalidOrder, []string{"flow", "customer.email", "items"}},
		{"product without template",
			`{"flow": "seed", "customer": {"name": "Ada", "email": "a@example.com"}, "items": [{"sku": "X", "quantity": 1, "product": {}}]}`,
			order.CodeInvalidOrder, []string{"items[0].product.template"}},
		{"bad id", `{"id": "../etc", "flow": "seed", "customer": {"name": "Ada", "email": "a@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`,
			order.CodeInvalidOrder, []string{"id"}},
		{"priority out of range", `{"flow": "seed", "priority": 101, "customer": {"name": "Ada", "email": "a@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`,
			order.CodeInvalidOrder, []string{"priority"}},
		{"priority not a number", `{"flow": "seed", "priority": "high"}`, "invalid_json", []string{"priority"}},
		{"unknown field", `{"flow": "seed", "colour": "red"}`, "invalid_json", []string{`"colour"`}},
		{"wrong type", `{"flow": "seed", "items": [{"sku": "X", "quantity": "two"}]}`, "invalid_json", []string{"quantity"}},
		{"not json", `{"flow":`, "invalid_json", nil},
	}
	for _, tc := range tests {
		status, raw := f.do("POST", "/v1/orders", tc.body)
		e := decode[apiError](t, raw)
		if status != http.StatusBadRequest || e.Error.Code != tc.code {
			t.Errorf("%s: %d %s; want 400 %s", tc.name, status, raw, tc.code)
			continue
		}
		for _, field := range tc.fields {
			if !strings.Contains(e.Error.Message, field) {
				t.Errorf("%s: message %q does not name %s", tc.name, e.Error.Message, field)
			}
		}
		if tc.code == order.CodeInvalidOrder {
			var ps []order.FieldProblem
			if err := json.Unmarshal(e.Error.Details, &ps); err != nil || len(ps) != len(tc.fields) {
				t.Errorf("%s: details %s, want %d field problems", tc.name, e.Error.Details, len(tc.fields))
			}
		}
	}
}

// TestHTTPCreateOrderPriority: POST /v1/orders takes a priority, stores it
// with the order's instance and shows it in the order; a repeated create
// with another priority returns the order unchanged.
func TestHTTPCreateOrderPriority(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("seed", seedFlow(t, f.rest.URL))
	body := strings.Replace(orderBody, `"flow": "seed"`, `"flow": "seed", "priority": 42`, 1)
	status, raw := f.do("POST", "/v1/orders", body)
	if o := decode[order.Order](t, raw); status != http.StatusCreated || o.Priority != 42 {
		t.Fatalf("create with priority 42: %d %s", status, raw)
	}
	inst, err := f.env.Engine.Get(context.Background(), "A-1")
	if err != nil || inst.Priority != 42 {
		t.Fatalf("instance A-1: priority %v, %v; want 42", inst, err)
	}
	again := strings.Replace(orderBody, `"flow": "seed"`, `"flow": "seed", "priority": -5`, 1)
	status, raw = f.do("POST", "/v1/orders", again)
	if o := decode[order.Order](t, raw); status != http.StatusOK || o.Priority != 42 {
		t.Errorf("repeated create with priority -5: %d %s; want 200 with the order's priority 42", status, raw)
	}
	f.finish("A-1")
	status, raw = f.do("GET", "/v1/orders/A-1", nil)
	if o := decode[order.Order](t, raw); status != http.StatusOK || o.Priority != 42 {
		t.Errorf("get: %d %s; want priority 42", status, raw)
	}
}

func TestHTTPGetOrderNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.env.Register(ordo.NewWorkflow("plain", func(context.Context, struct{}) (string, error) { return "ok", nil }))
	f.env.Start("plain", struct{}{})
	page, err := f.env.Engine.List(context.Background(), nil)
	if err != nil || len(page.Instances) != 1 {
		t.Fatal(err)
	}
	plainID := page.Instances[0].ID
	for _, path := range []string{"/v1/orders/missing", "/v1/orders/" + plainID, "/v1/orders/missing/files/x.stl"} {
		if status, raw := f.do("GET", path, nil); status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s; want 404", path, status, raw)
		}
	}
	f.apply("seed", seedFlow(t, f.rest.URL))
	taken := strings.Replace(orderBody, `"A-1"`, `"`+plainID+`"`, 1)
	if status, raw := f.do("POST", "/v1/orders", taken); status != http.StatusConflict {
		t.Errorf("create an order with the ID of another workflow's instance: %d %s; want 409", status, raw)
	}
	if status, raw := f.do("GET", "/v1/orders", nil); status != http.StatusOK || strings.Contains(string(raw), plainID) {
		t.Errorf("the order list shows another workflow's instance: %s", raw)
	}
}

func TestHTTPListOrders(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := setup(t, &setupOptions{respond: func(r *http.Request, req *ordertest.Request) (int, string) {
		if strings.HasPrefix(req.Path, "/hold") {
			return holdUntil(release)(r, req)
		}
		return http.StatusOK, `{}`
	}})
	t.Cleanup(func() { close(release) })
	f.apply("seed", seedFlow(t, f.rest.URL+"/seed"))
	f.apply("hold", holdFlow(f.rest.URL+"/hold", "Mailed"))
	for _, id := range []string{"s-1", "s-2"} {
		f.env.Clock.Advance(time.Second) // newest first: distinct creation times
		f.create(sampleOrder(id, "seed"))
		f.finish(id)
	}
	for _, id := range []string{"h-1", "h-2", "h-3"} {
		f.env.Clock.Advance(time.Second)
		f.create(sampleOrder(id, "hold"))
	}

	list := func(q url.Values) ([]string, string) {
		t.Helper()
		status, raw := f.do("GET", "/v1/orders?"+q.Encode(), nil)
		if status != http.StatusOK {
			t.Fatalf("GET /v1/orders?%s: %d %s", q.Encode(), status, raw)
		}
		page := decode[order.OrderPage](t, raw)
		var ids []string
		for _, o := range page.Orders {
			ids = append(ids, o.ID+":"+o.Status)
			if o.Steps != nil || o.StatusHistory != nil {
				t.Errorf("list entry %s carries steps or history", o.ID)
			}
		}
		return ids, page.NextCursor
	}
	for _, tc := range []struct {
		query url.Values
		want  string
	}{
		{url.Values{}, "h-3:Created h-2:Created h-1:Created s-2:Success s-1:Success"},
		{url.Values{"status": {"Success"}}, "s-2:Success s-1:Success"},
		{url.Values{"status": {"Created"}}, "h-3:Created h-2:Created h-1:Created"},
		{url.Values{"flow": {"seed"}}, "s-2:Success s-1:Success"},
		{url.Values{"flow": {"seed"}, "status": {"Created"}}, ""},
		{url.Values{"flow": {"nope"}}, ""},
	} {
		if got, _ := list(tc.query); strings.Join(got, " ") != tc.want {
			t.Errorf("?%s = %v, want %s", tc.query.Encode(), got, tc.want)
		}
	}

	// Paging through the "Created" orders, which are filtered here.
	got, cursor := list(url.Values{"status": {"Created"}, "limit": {"2"}})
	if strings.Join(got, " ") != "h-3:Created h-2:Created" || cursor == "" {
		t.Fatalf("first page = %v cursor %q", got, cursor)
	}
	got, cursor = list(url.Values{"status": {"Created"}, "limit": {"2"}, "cursor": {cursor}})
	if strings.Join(got, " ") != "h-1:Created" || cursor != "" {
		t.Errorf("second page = %v cursor %q, want h-1 and no cursor", got, cursor)
	}
	got, cursor = list(url.Values{"limit": {"4"}})
	got2, _ := list(url.Values{"limit": {"4"}, "cursor": {cursor}})
	if len(got) != 4 || strings.Join(got2, " ") != "s-1:Success" {
		t.Errorf("pages of 4: %v then %v", got, got2)
	}
	for _, l := range []string{"0", "1001", "x"} {
		if status, _ := f.do("GET", "/v1/orders?limit="+l, nil); status != http.StatusBadRequest {
			t.Errorf("limit=%s: %d, want 400", l, status)
		}
	}
}

// TestRunningOrderKeepsVersion: an order in flight finishes on the version
// it started with; new orders use the new version.
func TestRunningOrderKeepsVersion(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := setup(t, &setupOptions{respond: holdUntil(release)})
	f.apply("hold", holdFlow(f.rest.URL, "Mailed v1"))
	f.create(sampleOrder("old", "hold"))
	f.rest.WaitRequests(t, 1, waitTimeout)

	status, raw := f.do("PUT", "/v1/flows/hold", holdFlow(f.rest.URL, "Mailed v2"))
	if v := decode[order.FlowResponse](t, raw); status != http.StatusCreated || v.Version != 2 {
		t.Fatalf("apply v2: %d %s", status, raw)
	}
	close(release)
	old := f.finish("old")
	if old.FlowVersion != 1 || old.Status != "Mailed v1" {
		t.Errorf("order in flight: version %d status %q; want 1 and Mailed v1", old.FlowVersion, old.Status)
	}
	newer := f.create(sampleOrder("new", "hold"))
	if newer.FlowVersion != 2 {
		t.Errorf("new order uses version %d, want 2", newer.FlowVersion)
	}
	if o := f.finish("new"); o.Status != "Mailed v2" {
		t.Errorf("new order ended %q, want Mailed v2", o.Status)
	}
}
