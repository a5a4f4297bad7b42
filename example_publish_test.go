package ordo_test

import (
	"context"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store/memory"
)

// A workflow started by events: every "cart.created" event starts one
// instance, and "order.placed" events only when the total passes 100.
// Publishing the same event ID again starts nothing.
func ExampleWorkflow_On() {
	ctx := context.Background()
	engine, _ := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: quietLogger()})
	type cart struct {
		ID    string  `json:"id"`
		Total float64 `json:"total"`
	}
	invoice := ordo.NewWorkflow("invoice", func(ctx context.Context, c cart) (string, error) {
		return fmt.Sprintf("invoice for %s: %.2f", c.ID, c.Total), nil
	}).
		On("cart.created").
		On("order.placed", ordo.If("payload.total > 100"))
	_ = engine.Register(invoice)
	_ = engine.Start(ctx)
	defer func() { _ = engine.Stop(ctx) }()

	ev, _, _ := engine.Publish(ctx, ordo.PublishEvent{ID: "ev-1", Type: "order.placed",
		Payload: cart{ID: "C-1", Total: 150.5}})
	for _, d := range ev.Deliveries {
		fmt.Println(d.Subscription, d.Outcome, d.InstanceID)
	}
	final, _ := engine.Wait(ctx, ev.Deliveries[0].InstanceID)
	out, _ := invoice.Output(final)
	fmt.Println(out)

	_, created, _ := engine.Publish(ctx, ordo.PublishEvent{ID: "ev-1", Type: "order.placed", Payload: cart{ID: "C-1"}})
	fmt.Println("published again:", created)

	small, _, _ := engine.Publish(ctx, ordo.PublishEvent{ID: "ev-2", Type: "order.placed", Payload: cart{ID: "C-2", Total: 20}})
	fmt.Println(small.Deliveries[0].Outcome)
	// Output:
	// invoice:order.placed started invoice:order.placed:ev-1
	// invoice for C-1: 150.50
	// published again: false
	// filtered
}

// A service that starts instances of its own subscribes with
// Engine.Subscribe: Start says which instance an event starts.
func ExampleEngine_Subscribe() {
	ctx := context.Background()
	engine, _ := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: quietLogger()})
	_ = engine.Register(ordo.NewWorkflow("welcome", func(ctx context.Context, p map[string]any) (string, error) {
		return "welcome " + fmt.Sprint(p["email"]), nil
	}))
	_ = engine.Subscribe(ordo.Subscription{
		Name: "welcome-mail", Event: "customer.created", If: `payload.email.endsWith("@example.com")`,
		Start: func(ctx context.Context, ev *ordo.PublishedEvent) (*ordo.SubscriptionStart, error) {
			return &ordo.SubscriptionStart{Workflow: "welcome", ID: "welcome-" + ev.ID, Params: ev.Payload}, nil
		},
	})
	ev, _, _ := engine.Publish(ctx, ordo.PublishEvent{ID: "cus-1", Type: "customer.created",
		Payload: map[string]string{"email": "ann@example.com"}})
	fmt.Println(ev.Deliveries[0].Outcome, ev.Deliveries[0].InstanceID)
	// Output:
	// started welcome-cus-1
}
