package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/ui"
)

// orderFixture is a dashboard with the orders pages: an order service on
// the fixture's engine, flows that post to a recording endpoint.
type orderFixture struct {
	*fixture
	svc  *order.Service
	erp  *ordertest.Endpoint
	shop string // the flow "shop"
}

// shopFlow generates the production files, posts the order to the ERP
// (path /erp: answered 500 for orders whose ID holds "fail", without
// retry; held until the request is given up for those holding "hold") and
// on error notifies support (/support), which sets "Failed".
func shopFlow(base string) string {
	return fmt.Sprintf(`[
  {"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "In production",
   "options": {"fileFormat": "stl"}, "onSuccess": "erp", "onError": "support"},
  {"stepDefinitionId": "erp", "type": "consume-rest-api", "successStatus": "Shipped",
   "options": {"uri": %q}, "retries": {"limit": 0}, "onError": "support"},
  {"stepDefinitionId": "support", "type": "consume-rest-api", "successStatus": "Failed",
   "options": {"uri": %q}, "retries": {"limit": 0}}
]`, base+"/erp", base+"/support")
}

// setupOrders starts the dashboard with the orders pages and the flow
// "shop" applied; cfg may set other fields.
func setupOrders(t *testing.T, cfg *ui.Config) *orderFixture {
	t.Helper()
	st := memory.New()
	env := ordotest.New(t, &ordotest.Options{Store: st, Start: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), Timeout: 30 * time.Second})
	env.Register(testWorkflows(env.Clock)...)
	files, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	erp := ordertest.StartEndpoint(t, func(r *http.Request, req *ordertest.Request) (int, string) {
		if req.Path == "/erp" && strings.Contains(string(req.Body), "fail") {
			return http.StatusInternalServerError, `{"error":"ERP down"}`
		}
		if req.Path == "/erp" && strings.Contains(string(req.Body), "hold") {
			<-r.Context().Done() // until the step is cancelled
			return http.StatusServiceUnavailable, `{}`
		}
		return http.StatusOK, `{"ok":true}`
	})
	svc, err := order.New(order.Config{Engine: env.Engine, Store: st, Artifacts: files, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := svc.ApplyFlow(context.Background(), "shop", []byte(shopFlow(erp.URL))); err != nil {
		t.Fatal(err)
	}
	c := ui.Config{}
	if cfg != nil {
		c = *cfg
	}
	bs, err := bulk.New(bulk.Config{Engine: env.Engine, Orders: svc, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	c.Engine, c.Location, c.Orders, c.Bulk = env.Engine, time.UTC, svc, bs
	h, err := ui.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return &orderFixture{fixture: serveFixture(t, env, h), svc: svc, erp: erp, shop: "shop"}
}

// order creates an order of the shop flow and waits until it finishes.
func (f *orderFixture) order(id string) *order.Order {
	f.t.Helper()
	f.create(id)
	f.env.WaitDone(id)
	o, err := f.svc.GetOrder(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

// create creates an order of the shop flow.
func (f *orderFixture) create(id string) {
	f.t.Helper()
	_, _, err := f.svc.CreateOrder(context.Background(), &order.CreateRequest{
		ID: id, Flow: f.shop,
		Customer: order.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Items: []order.Item{
			{SKU: "RING-7", Quantity: 1, Product: &order.Product{Template: "ring", Parameters: map[string]any{"size": 7}}},
			{SKU: "GIFT-CARD", Quantity: 2},
		},
		Metadata: map[string]any{"channel": "web"},
	})
	if err != nil {
		f.t.Fatal(err)
	}
}
