package order_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store/memory"
)

// Example runs an order through a two-step flow: its production file is
// generated, then the order is POSTed to an ERP.
func Example() {
	ctx := context.Background()
	erp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, `{"erpOrder": "E-77"}`)
	}))
	defer erp.Close()
	dir, _ := os.MkdirTemp("", "ordo-example-")
	defer os.RemoveAll(dir)

	st := memory.New() // implements store.Store and store.FlowStore
	log := slog.New(slog.DiscardHandler)
	engine, _ := ordo.NewEngine(ordo.Config{Store: st, Logger: log})
	files, _ := artifact.NewFS(dir)
	defer files.Close()
	svc, err := order.New(order.Config{Engine: engine, Store: st, Artifacts: files, Logger: log})
	if err != nil {
		panic(err)
	}

	v, _, _, err := svc.ApplyFlow(ctx, "standard", []byte(`[
		{"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "In production",
		 "options": {"fileFormat": "stl"}, "onSuccess": "erp"},
		{"stepDefinitionId": "erp", "type": "consume-rest-api", "successStatus": "Sent to ERP",
		 "options": {"uri": "`+erp.URL+`"}}
	]`))
	if err != nil {
		panic(err)
	}
	fmt.Println("flow", v.Name, "version", v.Version)

	_ = engine.Start(ctx)
	defer func() { _ = engine.Stop(ctx) }()
	o, _, err := svc.CreateOrder(ctx, &order.CreateRequest{
		ID: "A-1", Flow: "standard",
		Customer: order.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Items: []order.Item{{SKU: "RING-7", Quantity: 1,
			Product: &order.Product{Template: "ring", Parameters: map[string]any{"size": 7}}}},
	})
	if err != nil {
		panic(err)
	}
	for deadline := time.Now().Add(30 * time.Second); !o.InstanceStatus.Terminal() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // poll until the flow ends
		o, _ = svc.GetOrder(ctx, "A-1")
	}
	for _, c := range o.StatusHistory {
		fmt.Printf("%-13s set by %q\n", c.Status, c.Step)
	}
	fmt.Println(o.Files[0].Name, o.Files[0].URL)
	// Output:
	// flow standard version 1
	// Created       set by ""
	// In production set by "generate"
	// Sent to ERP   set by "erp"
	// 1-RING-7.stl /v1/orders/A-1/files/1-RING-7.stl
}
