package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// chat is a Notifier that records messages and, while down, refuses them.
type chat struct {
	mu       sync.Mutex
	down     bool
	messages []string
}

func (c *chat) Notify(_ context.Context, message string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return ordo.NonRetryable(errors.New("chat is down"))
	}
	c.messages = append(c.messages, message)
	return nil
}

// sent returns the messages notified so far.
func (c *chat) sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.messages...)
}

// fixture is the program on a real SQLite store and shop database, with a
// virtual clock, its handler on a loopback server.
type fixture struct {
	env     *ordotest.Env
	app     *App
	reports *Reports
	chat    *chat
	url     string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "ordo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	shop, err := OpenShop(ctx, filepath.Join(dir, "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shop.Close() })
	if _, err := shop.Exec(`INSERT INTO product (id, title) VALUES ('prod_1', 'Mug'), ('prod_2', 'Cap'), ('prod_3', 'Tee')`); err != nil {
		t.Fatal(err)
	}
	c := &chat{}
	env := ordotest.New(t, &ordotest.Options{Store: st})
	app, err := NewApp(ctx, env.Engine, NewShopContainer(shop, c))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(app.Handler)
	t.Cleanup(hs.Close)
	return &fixture{env: env, app: app, reports: &Reports{DB: shop}, chat: c, url: hs.URL}
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("status %d body %s: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, out
}

// TestThreeStarts starts the workflow the seed's three ways: the API
// route, a subscriber to order.placed, and the hourly scheduled job.
func TestThreeStarts(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	want := func(id, trigger, message string) {
		t.Helper()
		final := f.env.WaitDone(id)
		out, err := f.app.Workflow.Output(final)
		if final.Status != ordo.StatusComplete || err != nil {
			t.Fatalf("%s: status %s error %+v %v", id, final.Status, final.Error, err)
		}
		if out != (Output{Message: message, Count: 3, Report: id}) {
			t.Fatalf("%s: output %+v", id, out)
		}
		names := []string{}
		for _, s := range final.Steps {
			names = append(names, s.Name)
		}
		if strings.Join(names, ",") != "step-1,step-2,get-product-count,save-report,notify" {
			t.Fatalf("%s: steps %v", id, names)
		}
		var got string
		if err := f.reports.DB.QueryRow(`SELECT trigger FROM report WHERE id = ?`, id).Scan(&got); err != nil || got != trigger {
			t.Fatalf("%s: report trigger %q, %v", id, got, err)
		}
	}

	// 1. The API route runs it and answers its result.
	status, body := get(t, f.url+"/workflow?name=Ada")
	if status != http.StatusOK {
		t.Fatalf("GET /workflow: %d %v", status, body)
	}
	want(body["id"].(string), "api", "Hello Ada from step two!")
	if status, body := get(t, f.url+"/workflow?name="+strings.Repeat("x", maxName+1)); status != http.StatusBadRequest {
		t.Fatalf("long name: %d %v", status, body)
	}

	// 2. The subscriber: an order.placed event starts it once per event id,
	// over HTTP or through Publish.
	for range 2 {
		resp, err := http.Post(f.url+"/v1/events", "application/json",
			strings.NewReader(`{"id": "evt-1", "type": "order.placed", "payload": {"id": "order_1", "total": 42}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	id := ordo.SubscriptionInstanceID("order-placed-count", "evt-1")
	want(id, "order.placed", "Hello order order_1 from step two!")
	ev, _, err := f.env.Engine.Publish(ctx, ordo.PublishEvent{ID: "evt-2", Type: "order.placed", Payload: map[string]any{"total": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Deliveries) != 1 || ev.Deliveries[0].Outcome != store.DeliveryInvalid {
		t.Fatalf("order without id: deliveries %+v", ev.Deliveries)
	}

	// 3. The scheduled job fires at the next whole hour, once.
	next := f.env.Clock.Now().Truncate(time.Hour).Add(time.Hour)
	f.env.Clock.Set(next)
	if n, err := f.app.Scheduler.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	want(schedule.InstanceID(ScheduleID, next), "schedule", "Hello scheduler from step two!")
	if n, err := f.app.Scheduler.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("second RunOnce = %d, %v", n, err)
	}

	if n, _ := f.reports.Count(ctx); n != 3 {
		t.Fatalf("reports = %d", n)
	}
	if msgs := f.chat.sent(); len(msgs) != 3 || msgs[2] != "Hello scheduler from step two!: 3 products (schedule)" {
		t.Fatalf("messages = %q", msgs)
	}
}

// TestRollBack: when notify fails, save-report's roll-back deletes the
// report it wrote.
func TestRollBack(t *testing.T) {
	f := setup(t)
	f.chat.mu.Lock()
	f.chat.down = true
	f.chat.mu.Unlock()
	status, body := get(t, f.url+"/workflow?name=Ada")
	if status != http.StatusConflict {
		t.Fatalf("GET /workflow: %d %v", status, body)
	}
	inst, err := f.env.Engine.Get(context.Background(), body["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if inst.Status != ordo.StatusErrored || inst.Steps[3].Name != "save-report" ||
		inst.Steps[3].CompensationStatus != store.CompCompleted || inst.Steps[4].Status != store.StepFailed {
		t.Fatalf("instance %s, steps %+v", inst.Status, inst.Steps)
	}
	if n, _ := f.reports.Count(context.Background()); n != 0 {
		t.Fatalf("reports after roll-back = %d", n)
	}
}
