package metrics_test

import (
	"context"
	"testing"

	"github.com/ordohq/ordo"
)

// TestEventMetrics: a publish counts once however often its ID is
// published, an event sent to an instance counts as sent, and a replay
// counts its new deliveries but not its events again.
func TestEventMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	waiter := ordo.NewWorkflow("waiter", func(ctx context.Context, _ struct{}) (int, error) {
		return ordo.WaitForEvent[int](ctx, "paid", "payment", 0)
	})
	if err := b.e.Register(waiter); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ev-1", "ev-1", "ev-2"} {
		if _, _, err := b.e.Publish(ctx, ordo.PublishEvent{ID: id, Type: "order.placed"}); err != nil {
			t.Fatal(err)
		}
	}
	// Subscribed after the events: a replay delivers them.
	if err := b.e.Register(ordo.NewWorkflow("ship", func(context.Context, struct{}) (int, error) { return 1, nil }).
		On("order.placed")); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second replay skips both events
		if _, err := b.e.Replay(ctx, ordo.ReplayOptions{Subscription: "ship:order.placed"}); err != nil {
			t.Fatal(err)
		}
	}
	w, err := waiter.Create(ctx, b.e, struct{}{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.e.SendEvent(ctx, w.ID, "payment", 5); err != nil {
		t.Fatal(err)
	}
	if err := b.e.SendEvent(ctx, "no-such-instance", "payment", 5); err == nil {
		t.Fatal("event to a missing instance was accepted")
	}
	check(t, b.scrape(t), []want{
		{"ordo_events_published_total", nil, 2},
		{"ordo_events_sent_total", nil, 1},
		{"ordo_event_deliveries_total", []string{"subscription", "ship:order.placed", "outcome", "started"}, 2},
	})
}
