package order_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
)

// triggeredFlow returns the seed flow in the object form with triggers.
func triggeredFlow(t *testing.T, uri, triggers string) []byte {
	t.Helper()
	return []byte(`{"description":"started by events","triggers":` + triggers + `,"steps":` + string(seedFlow(t, uri)) + `}`)
}

func deliveryOutcomes(ev *ordo.PublishedEvent) map[string]string {
	out := map[string]string{}
	for _, d := range ev.Deliveries {
		out[d.Subscription] = string(d.Outcome) + " " + d.InstanceID
	}
	return out
}

func TestFlowTriggersStartOrders(t *testing.T) {
	f := setup(t, nil)
	f.apply("big", triggeredFlow(t, f.rest.URL, `[{"event":"order.placed","if":"payload.metadata.total > 100"}]`))
	f.apply("all", triggeredFlow(t, f.rest.URL, `[{"event":"order.placed"}]`))
	publish := func(id string, payload any) *ordo.PublishedEvent {
		t.Helper()
		ev, created, err := f.env.Engine.Publish(context.Background(), ordo.PublishEvent{ID: id, Type: "order.placed", Payload: payload})
		if err != nil || !created {
			t.Fatalf("Publish %s = %v, %v", id, created, err)
		}
		return ev
	}
	big := sampleOrder("", "ignored")
	big.Metadata = map[string]any{"total": 150.5}
	big.Flow = ""
	ev := publish("e1", big)
	// Both flows match: the first subscription by name starts the order,
	// the other records the conflict.
	want := map[string]string{
		"flow:all:0": "started order:e1",
		"flow:big:0": "conflict order:e1",
	}
	if d := cmp.Diff(want, deliveryOutcomes(ev)); d != "" {
		t.Errorf("deliveries of a big order (-want +got):\n%s", d)
	}
	o := f.finish("order:e1")
	if o.Flow != "all" || len(o.StatusHistory) < 2 {
		t.Errorf("order = flow %q history %v, want flow all run through", o.Flow, statuses(o.StatusHistory))
	}

	small := sampleOrder("C-7", "")
	small.Metadata = map[string]any{"total": 20}
	ev = publish("e2", small)
	want = map[string]string{"flow:all:0": "started C-7", "flow:big:0": "filtered "}
	if d := cmp.Diff(want, deliveryOutcomes(ev)); d != "" {
		t.Errorf("deliveries of a small order with an id (-want +got):\n%s", d)
	}
	if o := f.finish("C-7"); o.Flow != "all" {
		t.Errorf("C-7 ran flow %q, want all", o.Flow)
	}

	ev = publish("e3", json.RawMessage(`{"customer":{"name":"A"},"items":[],"colour":"red","metadata":{"total":500}}`))
	for _, d := range ev.Deliveries {
		if d.Outcome != "invalid_payload" || !strings.Contains(d.Error, "colour") {
			t.Errorf("delivery %s of an invalid order = %s %q, want invalid_payload naming the field", d.Subscription, d.Outcome, d.Error)
		}
	}
	if _, err := f.svc.GetOrder(context.Background(), order.EventOrderID("e3")); err == nil {
		t.Error("an invalid order was created")
	}
}

func TestFlowTriggersFollowVersions(t *testing.T) {
	f := setup(t, nil)
	f.apply("f", triggeredFlow(t, f.rest.URL, `[{"event":"cart.created"}]`))
	f.apply("f", triggeredFlow(t, f.rest.URL, `[{"event":"order.placed"}]`))
	var got []string
	for _, s := range f.env.Engine.Subscriptions() {
		got = append(got, s.Name+" "+s.Event)
	}
	if d := cmp.Diff([]string{"flow:f:0 order.placed"}, got); d != "" {
		t.Errorf("subscriptions after a new version (-want +got):\n%s", d)
	}
	if _, _, _, err := f.svc.ApplyFlow(context.Background(), "bad",
		triggeredFlow(t, f.rest.URL, `[{"event":"order.placed","if":"payload.total >"}]`)); err == nil || !strings.Contains(err.Error(), "/triggers/0/if") && !strings.Contains(err.Error(), "triggers[0].if") {
		t.Errorf("ApplyFlow of a bad filter: err = %v, want the trigger's problem", err)
	}
}
