package order_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
)

// searchOrder is an order without production files.
func searchOrder(id, flowName, name, email string, skus []string, meta map[string]any) *order.CreateRequest {
	req := &order.CreateRequest{ID: id, Flow: flowName, Customer: order.Customer{Name: name, Email: email}, Metadata: meta}
	for _, sku := range skus {
		req.Items = append(req.Items, order.Item{SKU: sku, Quantity: 1})
	}
	return req
}

func TestHTTPSearchOrders(t *testing.T) {
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
	created := map[string]time.Time{}
	for _, req := range []*order.CreateRequest{
		searchOrder("s-1", "seed", "Ada Lovelace", "ada@example.com", []string{"MUG", "TEE"}, map[string]any{"channel": "web", "total": 4280}),
		searchOrder("s-2", "seed", "Grace Hopper", "GRACE@Example.com", []string{"MUG"}, map[string]any{"channel": "pos"}),
		searchOrder("h-1", "hold", " Ada Lovelace ", "ada@example.com", []string{"CAP"}, map[string]any{"channel": "web", "vip": true}),
	} {
		f.env.Clock.Advance(time.Second)
		created[req.ID] = f.create(req).CreatedAt
		if req.Flow == "seed" {
			f.finish(req.ID)
		}
	}
	at := func(id string) string { return created[id].Format(time.RFC3339Nano) }

	for _, tc := range []struct {
		query string
		want  string
	}{
		{"email=ada@example.com", "h-1 s-1"},
		{"email=ADA@EXAMPLE.COM", "h-1 s-1"},
		{"email=grace@example.com", "s-2"},
		{"name=ada%20lovelace", "h-1 s-1"},
		{"customer=Grace%20Hopper", "s-2"},
		{"customer=grace@example.com", "s-2"},
		{"sku=MUG", "s-2 s-1"},
		{"sku=CAP", "h-1"},
		{"sku=mug", ""},
		{"meta=channel:web", "h-1 s-1"},
		{"meta=channel:web&meta=vip:true", "h-1"},
		{"meta=total:4280", "s-1"},
		{"status=success", "s-2 s-1"},
		{"status=SUCCESS&sku=TEE", "s-1"},
		{"status=created", "h-1"},
		{"flow=seed&version=1", "s-2 s-1"},
		{"flow=seed&version=2", ""},
		{"instanceStatus=COMPLETE", "s-2 s-1"},
		{"createdAfter=" + url.QueryEscape(at("s-2")), "h-1 s-2"},
		{"createdBefore=" + url.QueryEscape(at("s-2")), "s-1"},
		{"finishedAfter=2000-01-01T00:00:00Z", "s-2 s-1"},
		{"email=ada@example.com&sku=MUG", "s-1"},
		{"customer=ada@example.com&createdAfter=" + url.QueryEscape(at("h-1")), "h-1"},
	} {
		status, raw := f.do("GET", "/v1/orders?"+tc.query, nil)
		if status != http.StatusOK {
			t.Errorf("GET /v1/orders?%s: %d %s", tc.query, status, raw)
			continue
		}
		var ids []string
		for _, o := range decode[order.OrderPage](t, raw).Orders {
			ids = append(ids, o.ID)
		}
		if got := strings.Join(ids, " "); got != tc.want {
			t.Errorf("?%s = %q, want %q", tc.query, got, tc.want)
		}
	}

	for _, tc := range []struct{ query, code, parameter string }{
		{"customr=ada", "unknown_parameter", "customr"},
		{"Status=failed", "unknown_parameter", "Status"},
		{"createdAfter=yesterday", "invalid_argument", "createdAfter"},
		{"createdAfter=" + url.QueryEscape(at("h-1")) + "&createdBefore=" + url.QueryEscape(at("s-1")), "invalid_argument", "createdAfter"},
		{"finishedBefore=2026-13-01T00:00:00Z", "invalid_argument", "finishedBefore"},
		{"version=x&flow=seed", "invalid_argument", "version"},
		{"version=1", "invalid_argument", "version"},
		{"meta=novalue", "invalid_argument", "meta"},
		{"meta=a%3Db:c", "invalid_argument", "meta"},
		{"instanceStatus=sleeping", "invalid_argument", "instanceStatus"},
		{"status=a&status=b", "invalid_argument", "status"},
		{"sku=" + strings.Repeat("x", 300), "invalid_argument", "sku"},
		{"limit=0", "invalid_argument", "limit"},
		{"cursor=forged", "invalid_argument", "cursor"},
	} {
		status, raw := f.do("GET", "/v1/orders?"+tc.query, nil)
		type body struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Details struct {
					Parameter string `json:"parameter"`
				} `json:"details"`
			} `json:"error"`
		}
		b := decode[body](t, raw)
		if status != http.StatusBadRequest || b.Error.Code != tc.code || b.Error.Details.Parameter != tc.parameter {
			t.Errorf("GET /v1/orders?%.60s: %d %s; want 400 %s naming %q", tc.query, status, raw, tc.code, tc.parameter)
		}
		if tc.parameter != "" && !strings.Contains(b.Error.Message, tc.parameter) {
			t.Errorf("GET /v1/orders?%.60s: message %q does not name %s", tc.query, b.Error.Message, tc.parameter)
		}
	}
}

// TestRefreshAttributes: after the document of an order changes, its
// attributes follow.
func TestRefreshAttributes(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("seed", seedFlow(t, f.rest.URL))
	f.create(searchOrder("r-1", "seed", "Ada", "ada@example.com", []string{"MUG"}, nil))
	f.finish("r-1")
	ctx := context.Background()
	attrs, err := f.env.Engine.Attributes(ctx, "r-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(attrs) != 4 { // email, name, sku, version
		t.Errorf("attributes = %v, want email, name, sku and version", attrs)
	}
	if err := f.env.Engine.ReplaceAttributes(ctx, "r-1", nil); err != nil {
		t.Fatal(err)
	}
	page, err := f.svc.ListOrders(ctx, &order.ListOptions{SKU: "MUG"})
	if err != nil || len(page.Orders) != 0 {
		t.Fatalf("after clearing: %v, %v", page, err)
	}
	if err := f.svc.RefreshAttributes(ctx, "r-1"); err != nil {
		t.Fatal(err)
	}
	page, err = f.svc.ListOrders(ctx, &order.ListOptions{SKU: "MUG"})
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("after refresh: %v, %v", page, err)
	}
}
