package ordo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

type placed struct {
	ID    string  `json:"id"`
	Total float64 `json:"total"`
}

type invoiceParams struct {
	Order string `json:"order"`
}

// subscribers returns two workflows started by order.placed: ship (every
// order) and invoice (big orders only, with its own params).
func subscribers() (*ordo.Workflow[placed, string], *ordo.Workflow[invoiceParams, string]) {
	ship := ordo.NewWorkflow("ship", func(ctx context.Context, p placed) (string, error) {
		return "shipped " + p.ID, nil
	}).On("order.placed")
	invoice := ordo.NewWorkflow("invoice", func(ctx context.Context, p invoiceParams) (string, error) {
		return "invoiced " + p.Order, nil
	}).On("order.placed", ordo.If("payload.total > 100"), ordo.SubscriptionName("big-orders"),
		ordo.ParamsFrom(func(ev *ordo.PublishedEvent) (invoiceParams, error) {
			var p placed
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				return invoiceParams{}, fmt.Errorf("%w: %w", ordo.ErrInvalidArgument, err)
			}
			return invoiceParams{Order: p.ID}, nil
		}))
	return ship, invoice
}

func outcomes(ev *ordo.PublishedEvent) map[string]string {
	out := map[string]string{}
	for _, d := range ev.Deliveries {
		out[d.Subscription] = string(d.Outcome) + " " + d.InstanceID
	}
	return out
}

func TestPublishStartsSubscribers(t *testing.T) {
	env := ordotest.New(t, nil)
	ship, invoice := subscribers()
	env.Register(ship, invoice)
	for _, tc := range []struct {
		id, payload string
		want        map[string]string
	}{
		{"e1", `{"id":"A","total":150.5}`, map[string]string{"ship:order.placed": "started ship:order.placed:e1", "big-orders": "started big-orders:e1"}},
		{"e2", `{"id":"B","total":150}`, map[string]string{"ship:order.placed": "started ship:order.placed:e2", "big-orders": "started big-orders:e2"}},
		{"e3", `{"id":"C","total":99}`, map[string]string{"ship:order.placed": "started ship:order.placed:e3", "big-orders": "filtered "}},
		{"e4", `{"id":"D"}`, map[string]string{"ship:order.placed": "started ship:order.placed:e4", "big-orders": "error "}},
	} {
		ev, created, err := env.Engine.Publish(t.Context(), ordo.PublishEvent{ID: tc.id, Type: "order.placed", Payload: json.RawMessage(tc.payload)})
		if err != nil || !created {
			t.Fatalf("Publish %s = %v, %v", tc.id, created, err)
		}
		if d := cmp.Diff(tc.want, outcomes(ev)); d != "" {
			t.Errorf("%s deliveries (-want +got):\n%s", tc.id, d)
		}
		if string(ev.Payload) != tc.payload || !ev.PublishedAt.Equal(env.Clock.Now()) {
			t.Errorf("%s stored as %s at %v", tc.id, ev.Payload, ev.PublishedAt)
		}
	}
	for id, want := range map[string]string{"ship:order.placed:e1": `"shipped A"`, "big-orders:e2": `"invoiced B"`} {
		inst, err := env.Engine.Wait(t.Context(), id)
		if err != nil || inst.Status != store.StatusComplete || string(inst.Output) != want {
			t.Errorf("instance %s = %+v, %v; want complete with %s", id, inst, err, want)
		}
	}
	got, err := env.Engine.PublishedEvent(t.Context(), "e4")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range got.Deliveries {
		if d.Subscription == "big-orders" && !strings.Contains(d.Error, "no such key") {
			t.Errorf("filter error recorded as %q, want the missing key", d.Error)
		}
	}
}

func TestPublishOnce(t *testing.T) {
	env := ordotest.New(t, nil)
	ship, invoice := subscribers()
	env.Register(ship, invoice)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
	)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, c, err := env.Engine.Publish(context.Background(), ordo.PublishEvent{ID: "dup", Type: "order.placed",
				Payload: placed{ID: "A", Total: 500}})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if c {
				created++
			}
		}()
	}
	wg.Wait()
	again, c, err := env.Engine.Publish(t.Context(), ordo.PublishEvent{ID: "dup", Type: "order.placed", Payload: placed{ID: "Z"}})
	if err != nil || c || created != 1 {
		t.Fatalf("created %d of 10 concurrent publishes and %v for a later one (%v), want 1 and false", created, c, err)
	}
	if !strings.Contains(string(again.Payload), `"A"`) || len(again.Deliveries) != 2 {
		t.Errorf("a repeated id returns %s with %d deliveries, want the first event", again.Payload, len(again.Deliveries))
	}
	page, err := env.Engine.List(t.Context(), &ordo.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Instances) != 2 {
		t.Errorf("%d instances, want 2 (one per subscription)", len(page.Instances))
	}
}

func TestPublishInvalid(t *testing.T) {
	env := ordotest.New(t, nil)
	ship, invoice := subscribers()
	env.Register(ship, invoice)
	// ship takes placed params: a string total does not decode.
	ev, _, err := env.Engine.Publish(t.Context(), ordo.PublishEvent{Type: "order.placed", Payload: json.RawMessage(`{"id":"A","total":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID == "" {
		t.Error("no event id generated")
	}
	want := map[string]string{"ship:order.placed": "invalid_payload ", "big-orders": "error "}
	if d := cmp.Diff(want, outcomes(ev)); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
	for name, ev := range map[string]ordo.PublishEvent{
		"no type":       {Payload: 1},
		"bad type":      {Type: "order placed"},
		"bad id":        {ID: "/x", Type: "t"},
		"bad payload":   {Type: "t", Payload: json.RawMessage(`{`)},
		"large":         {Type: "t", Payload: strings.Repeat("x", 2<<20)},
		"unmarshalable": {Type: "t", Payload: func() {}},
	} {
		_, _, err := env.Engine.Publish(t.Context(), ev)
		if !errors.Is(err, ordo.ErrInvalidArgument) && !errors.Is(err, ordo.ErrPayloadTooLarge) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument or ErrPayloadTooLarge", name, err)
		}
	}
	if _, err := env.Engine.PublishedEvent(t.Context(), "missing"); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("PublishedEvent(missing): err = %v, want ErrNotFound", err)
	}
}

func TestRegisterChecksTriggers(t *testing.T) {
	for name, wf := range map[string]*ordo.Workflow[placed, string]{
		"syntax":   ordo.NewWorkflow("a", noop).On("order.placed", ordo.If("payload.total >")),
		"not bool": ordo.NewWorkflow("b", noop).On("order.placed", ordo.If("payload.total + 1")),
		"unknown":  ordo.NewWorkflow("c", noop).On("order.placed", ordo.If("total > 1")),
		"type":     ordo.NewWorkflow("d", noop).On("order placed"),
		"params": ordo.NewWorkflow("e", noop).On("order.placed", ordo.ParamsFrom(func(*ordo.PublishedEvent) (int, error) {
			return 0, nil
		})),
	} {
		e, err := ordo.NewEngine(ordo.Config{Store: newMemStore(), Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Register(wf); !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("%s: Register err = %v, want ErrInvalidArgument", name, err)
		}
		if len(e.Workflows()) != 0 || len(e.Subscriptions()) != 0 {
			t.Errorf("%s: a refused Register left %v, %v", name, e.Workflows(), e.Subscriptions())
		}
	}
}

func noop(context.Context, placed) (string, error) { return "", nil }

func TestReplay(t *testing.T) {
	st, err := sqlite.Open(t.Context(), t.TempDir()+"/ordo.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := ordotest.New(t, &ordotest.Options{Store: st})
	t0 := env.Clock.Now()
	for i := range 5 {
		if _, _, err := env.Engine.Publish(t.Context(), ordo.PublishEvent{ID: fmt.Sprintf("e%d", i), Type: "order.placed",
			Payload: placed{ID: fmt.Sprint(i), Total: 10}}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Minute)
	}
	ship, _ := subscribers()
	env.Register(ship) // subscribed after the events
	if _, err := env.Engine.Replay(t.Context(), ordo.ReplayOptions{Subscription: "nope"}); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("unknown subscription: err = %v", err)
	}
	res, err := env.Engine.Replay(t.Context(), ordo.ReplayOptions{Subscription: "ship:order.placed",
		From: t0.Add(time.Minute), To: t0.Add(4 * time.Minute), Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 2 || len(res.Deliveries) != 2 || res.NextCursor == "" {
		t.Fatalf("first replay = %+v, want 2 events delivered and a cursor", res)
	}
	res, err = env.Engine.Replay(t.Context(), ordo.ReplayOptions{Subscription: "ship:order.placed",
		From: t0.Add(time.Minute), To: t0.Add(4 * time.Minute), Cursor: res.NextCursor})
	if err != nil || res.Events != 1 || len(res.Deliveries) != 1 {
		t.Fatalf("continued replay = %+v, %v; want e3 delivered", res, err)
	}
	res, err = env.Engine.Replay(t.Context(), ordo.ReplayOptions{Subscription: "ship:order.placed"})
	if err != nil || res.Events != 5 || len(res.Deliveries) != 2 || res.Skipped != 3 {
		t.Fatalf("full replay = %+v, %v; want 5 events, 2 delivered (e0, e4), 3 skipped", res, err)
	}
	for i := range 5 {
		if _, err := env.Engine.Wait(t.Context(), fmt.Sprintf("ship:order.placed:e%d", i)); err != nil {
			t.Errorf("instance for e%d: %v", i, err)
		}
	}
}
