package order_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/schedule"
)

// TestRecurringOrder: a schedule with a flow target creates one order per
// scheduled time through the real order service.
func TestRecurringOrder(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("box", []byte(localMailFlow))
	sch, err := schedule.New(schedule.Config{Engine: f.env.Engine, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.ScheduleOrders(sch)
	ctx := t.Context()
	body := json.RawMessage(`{"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "BOX-M", "quantity": 1}]}`)
	for name, bad := range map[string]string{
		"with id":       `{"id": "x", "customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "B", "quantity": 1}]}`,
		"unknown field": `{"colour": "red"}`,
		"no items":      `{"customer": {"name": "Ada", "email": "ada@example.com"}, "items": []}`,
	} {
		if _, err := sch.Create(ctx, &schedule.Spec{ID: "bad", Every: "1h", Flow: "box", Order: json.RawMessage(bad)}); !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("order %s: %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := sch.Create(ctx, &schedule.Spec{ID: "bad", Every: "1h", Flow: "nope", Order: body}); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("unknown flow: %v, want ErrNotFound", err)
	}
	if _, err := sch.Create(ctx, &schedule.Spec{ID: "box-monthly", Every: "1h", Flow: "box", Order: body}); err != nil {
		t.Fatal(err)
	}
	start := f.env.Clock.Now()
	f.env.Clock.Set(start.Add(time.Hour))
	if _, err := sch.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := sch.Get(ctx, "box-monthly")
	if err != nil || len(v.LastFires) != 1 || v.LastFires[0].Outcome != "started" {
		t.Fatalf("fires: %+v %v", v, err)
	}
	id := v.LastFires[0].InstanceID
	o, err := f.svc.GetOrder(ctx, id)
	if err != nil || o.Flow != "box" || o.Customer.Email != "ada@example.com" {
		t.Fatalf("order %s: %+v %v", id, o, err)
	}
	// The same time again (a backfill of it) creates nothing new.
	res, err := sch.Backfill(ctx, "box-monthly", start.Add(time.Hour), start.Add(time.Hour))
	if err != nil || res.AlreadyFired != 1 || len(res.Fires) != 0 {
		t.Fatalf("backfill of a fired time: %+v %v", res, err)
	}
}
