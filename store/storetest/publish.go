package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// RunPublish runs the conformance tests of the optional store.PublishStore
// capability. open is called as in Run; the store it returns must
// implement store.PublishStore.
func RunPublish(t *testing.T, open func(t *testing.T) store.Store) {
	runCapability(t, open, []capabilityTest[store.PublishStore]{
		{"New", testPublishNew},
		{"Duplicate", testPublishDuplicate},
		{"Conflict", testPublishConflict},
		{"Concurrent", testPublishConcurrent},
		{"Invalid", testPublishInvalid},
		{"GetNotFound", testPublishGetNotFound},
		{"List", testPublishList},
		{"Deliver", testPublishDeliver},
		{"Batch", testPublishBatch},
	})
}

var pubT0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func pubCreate(id, workflow, params string) *store.InstanceCreateParams {
	return &store.InstanceCreateParams{ID: id, Workflow: workflow, Params: json.RawMessage(params)}
}

func publish(t *testing.T, ps store.PublishStore, p *store.EventPublishParams) (*store.PublishedEvent, bool) {
	t.Helper()
	ev, created, err := ps.EventPublish(t.Context(), p)
	if err != nil {
		t.Fatalf("EventPublish %q: %v", p.ID, err)
	}
	return ev, created
}

func instanceOf(t *testing.T, ps store.PublishStore, id string) *store.Instance {
	t.Helper()
	in, err := ps.(store.Store).InstanceGet(t.Context(), id)
	if err != nil {
		t.Fatalf("InstanceGet %q: %v", id, err)
	}
	return in
}

func testPublishNew(t *testing.T, ps store.PublishStore) {
	p := &store.EventPublishParams{ID: "e1", Type: "order.placed", Payload: json.RawMessage(`{"total":150.50}`), Now: pubT0,
		Deliveries: []*store.DeliveryParams{
			{Subscription: "ship", Create: pubCreate("ship-e1", "ship", `{"total":150.50}`), Outcome: store.DeliveryStarted},
			{Subscription: "audit", Outcome: store.DeliveryFiltered},
			{Subscription: "bill", Outcome: store.DeliveryError, Error: "no such key 'x'"},
		}}
	ev, created := publish(t, ps, p)
	if !created {
		t.Fatal("created = false for a new event")
	}
	want := &store.PublishedEvent{ID: "e1", Type: "order.placed", Payload: json.RawMessage(`{"total":150.50}`), PublishedAt: pubT0,
		Deliveries: []*store.Delivery{
			{EventID: "e1", Subscription: "audit", Outcome: store.DeliveryFiltered, DeliveredAt: pubT0},
			{EventID: "e1", Subscription: "bill", Outcome: store.DeliveryError, Error: "no such key 'x'", DeliveredAt: pubT0},
			{EventID: "e1", Subscription: "ship", InstanceID: "ship-e1", Outcome: store.DeliveryStarted, DeliveredAt: pubT0},
		}}
	ignore := cmpIgnoreSeq()
	if d := cmp.Diff(want, ev, ignore); d != "" {
		t.Errorf("EventPublish (-want +got):\n%s", d)
	}
	got, err := ps.PublishedGet(t.Context(), "e1")
	if err != nil {
		t.Fatalf("PublishedGet: %v", err)
	}
	if d := cmp.Diff(want, got, ignore); d != "" {
		t.Errorf("PublishedGet (-want +got):\n%s", d)
	}
	in := instanceOf(t, ps, "ship-e1")
	if in.Workflow != "ship" || in.Status != store.StatusQueued || string(in.Params) != `{"total":150.50}` || !in.CreatedAt.Equal(pubT0) {
		t.Errorf("instance = %+v, want a queued ship instance created at %v with the params", in, pubT0)
	}
}

func cmpIgnoreSeq() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Seq" }, cmp.Ignore())
}

func testPublishDuplicate(t *testing.T, ps store.PublishStore) {
	first, _ := publish(t, ps, &store.EventPublishParams{ID: "e1", Type: "cart.created", Payload: json.RawMessage(`{"n":1}`), Now: pubT0,
		Deliveries: []*store.DeliveryParams{{Subscription: "a", Create: pubCreate("a-e1", "a", `{}`)}}})
	again, created := publish(t, ps, &store.EventPublishParams{ID: "e1", Type: "other", Payload: json.RawMessage(`{"n":2}`),
		Now: pubT0.Add(time.Hour), Deliveries: []*store.DeliveryParams{
			{Subscription: "a", Create: pubCreate("a-e1-bis", "a", `{}`)},
			{Subscription: "b", Create: pubCreate("b-e1", "b", `{}`)}}})
	if created {
		t.Error("created = true for an id already stored")
	}
	if d := cmp.Diff(first, again); d != "" {
		t.Errorf("second publish does not return the first event (-first +second):\n%s", d)
	}
	for _, id := range []string{"a-e1-bis", "b-e1"} {
		if _, err := ps.(store.Store).InstanceGet(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("InstanceGet %q after a duplicate publish: err = %v, want ErrNotFound", id, err)
		}
	}
}

func testPublishConflict(t *testing.T, ps store.PublishStore) {
	st := ps.(store.Store)
	if _, err := st.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "order-7", Workflow: "order/manual",
		Params: json.RawMessage(`{"by":"api"}`), Now: pubT0}); err != nil {
		t.Fatal(err)
	}
	ev, _ := publish(t, ps, &store.EventPublishParams{ID: "e1", Type: "order.placed", Now: pubT0.Add(time.Minute),
		Deliveries: []*store.DeliveryParams{
			{Subscription: "flow-a", Create: pubCreate("order-8", "order/a", `{}`)},
			{Subscription: "flow-b", Create: pubCreate("order-8", "order/b", `{}`)},
			{Subscription: "flow-c", Create: pubCreate("order-7", "order/c", `{}`)},
		}})
	outcomes := map[string]store.DeliveryOutcome{}
	for _, d := range ev.Deliveries {
		outcomes[d.Subscription] = d.Outcome
		if d.Outcome == store.DeliveryConflict && d.Error == "" {
			t.Errorf("conflict delivery %q has no error text", d.Subscription)
		}
	}
	want := map[string]store.DeliveryOutcome{"flow-a": store.DeliveryStarted, "flow-b": store.DeliveryConflict, "flow-c": store.DeliveryConflict}
	if d := cmp.Diff(want, outcomes); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	if in := instanceOf(t, ps, "order-8"); in.Workflow != "order/a" {
		t.Errorf("order-8 workflow = %q, want order/a (the first delivery)", in.Workflow)
	}
	if in := instanceOf(t, ps, "order-7"); in.Workflow != "order/manual" || string(in.Params) != `{"by":"api"}` {
		t.Errorf("order-7 = %+v, changed by a conflicting delivery", in)
	}
}

func testPublishConcurrent(t *testing.T, ps store.PublishStore) {
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		errs    []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, c, err := ps.EventPublish(t.Context(), &store.EventPublishParams{ID: "e1", Type: "t", Now: pubT0,
				Deliveries: []*store.DeliveryParams{
					{Subscription: "a", Create: pubCreate(fmt.Sprintf("a-%d", i), "a", `{}`)},
					{Subscription: "b", Create: pubCreate(fmt.Sprintf("b-%d", i), "b", `{}`)}}})
			mu.Lock()
			defer mu.Unlock()
			if c {
				created++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("concurrent publishes failed: %v", errs)
	}
	if created != 1 {
		t.Fatalf("%d publishes created the event, want 1", created)
	}
	page, err := ps.(store.Store).InstanceList(t.Context(), &store.InstanceListParams{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Instances) != 2 {
		t.Errorf("%d instances after %d concurrent publishes of one event with 2 deliveries, want 2", len(page.Instances), n)
	}
}

func testPublishInvalid(t *testing.T, ps store.PublishStore) {
	many := make([]*store.DeliveryParams, store.MaxDeliveriesPerEvent+1)
	for i := range many {
		many[i] = &store.DeliveryParams{Subscription: fmt.Sprintf("s%d", i), Outcome: store.DeliveryFiltered}
	}
	for name, p := range map[string]*store.EventPublishParams{
		"no id":           {Type: "t"},
		"no type":         {ID: "e1"},
		"long type":       {ID: "e1", Type: string(make([]byte, store.MaxEventTypeLen+1))},
		"too many":        {ID: "e1", Type: "t", Deliveries: many},
		"twice":           {ID: "e1", Type: "t", Deliveries: []*store.DeliveryParams{{Subscription: "a", Outcome: store.DeliveryFiltered}, {Subscription: "a", Outcome: store.DeliveryFiltered}}},
		"no outcome":      {ID: "e1", Type: "t", Deliveries: []*store.DeliveryParams{{Subscription: "a"}}},
		"no subscription": {ID: "e1", Type: "t", Deliveries: []*store.DeliveryParams{{Outcome: store.DeliveryFiltered}}},
	} {
		if _, _, err := ps.EventPublish(t.Context(), p); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := ps.PublishedGet(t.Context(), "e1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PublishedGet after refused publishes: err = %v, want ErrNotFound", err)
	}
}

func testPublishGetNotFound(t *testing.T, ps store.PublishStore) {
	if _, err := ps.PublishedGet(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	if _, err := ps.PublishedDeliver(t.Context(), &store.DeliverParams{EventID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PublishedDeliver: err = %v, want ErrNotFound", err)
	}
}

func testPublishList(t *testing.T, ps store.PublishStore) {
	for i := range 7 {
		typ := "cart.created"
		if i%2 == 1 {
			typ = "order.placed"
		}
		publish(t, ps, &store.EventPublishParams{ID: fmt.Sprintf("e%d", i), Type: typ, Now: pubT0.Add(time.Duration(i) * time.Minute)})
	}
	ids := func(p *store.PublishedListParams) []string {
		t.Helper()
		var out []string
		for range 10 {
			page, err := ps.PublishedList(t.Context(), p)
			if err != nil {
				t.Fatalf("PublishedList %+v: %v", p, err)
			}
			for _, ev := range page.Events {
				if ev.Deliveries != nil {
					t.Errorf("listed event %q has deliveries", ev.ID)
				}
				out = append(out, ev.ID)
			}
			if page.NextCursor == "" {
				return out
			}
			p.Cursor = page.NextCursor
		}
		t.Fatal("listing does not end")
		return nil
	}
	for _, tc := range []struct {
		name string
		p    store.PublishedListParams
		want []string
	}{
		{"all", store.PublishedListParams{}, []string{"e0", "e1", "e2", "e3", "e4", "e5", "e6"}},
		{"paged", store.PublishedListParams{Limit: 2}, []string{"e0", "e1", "e2", "e3", "e4", "e5", "e6"}},
		{"type", store.PublishedListParams{Type: "order.placed", Limit: 2}, []string{"e1", "e3", "e5"}},
		{"since", store.PublishedListParams{Since: pubT0.Add(4 * time.Minute)}, []string{"e4", "e5", "e6"}},
		{"range", store.PublishedListParams{Type: "cart.created", Since: pubT0.Add(time.Minute), Until: pubT0.Add(6 * time.Minute)}, []string{"e2", "e4"}},
		{"none", store.PublishedListParams{Type: "nope"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			if d := cmp.Diff(tc.want, ids(&p)); d != "" {
				t.Errorf("ids (-want +got):\n%s", d)
			}
		})
	}
	if _, err := ps.PublishedList(t.Context(), &store.PublishedListParams{Cursor: store.EncodeInstanceCursor(pubT0, "x")}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("instance cursor: err = %v, want ErrInvalidArgument", err)
	}
}

func testPublishDeliver(t *testing.T, ps store.PublishStore) {
	publish(t, ps, &store.EventPublishParams{ID: "e1", Type: "t", Now: pubT0,
		Deliveries: []*store.DeliveryParams{{Subscription: "a", Create: pubCreate("a-e1", "a", `{}`)}}})
	at := pubT0.Add(time.Hour)
	added, err := ps.PublishedDeliver(t.Context(), &store.DeliverParams{EventID: "e1", Now: at, Deliveries: []*store.DeliveryParams{
		{Subscription: "a", Create: pubCreate("a-e1-again", "a", `{}`)},
		{Subscription: "late", Create: pubCreate("late-e1", "late", `{"x":1}`)}}})
	if err != nil {
		t.Fatalf("PublishedDeliver: %v", err)
	}
	want := []*store.Delivery{{EventID: "e1", Subscription: "late", InstanceID: "late-e1", Outcome: store.DeliveryStarted, DeliveredAt: at}}
	if d := cmp.Diff(want, added); d != "" {
		t.Errorf("added (-want +got):\n%s", d)
	}
	if _, err := ps.(store.Store).InstanceGet(t.Context(), "a-e1-again"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a delivery already made was repeated: err = %v", err)
	}
	if in := instanceOf(t, ps, "late-e1"); !in.CreatedAt.Equal(at) {
		t.Errorf("late-e1 created at %v, want %v", in.CreatedAt, at)
	}
	again, err := ps.PublishedDeliver(t.Context(), &store.DeliverParams{EventID: "e1", Now: at, Deliveries: []*store.DeliveryParams{
		{Subscription: "late", Create: pubCreate("late-e1", "late", `{}`)}}})
	if err != nil || len(again) != 0 {
		t.Errorf("second replay = %v, %v; want nothing added", again, err)
	}
	ev, err := ps.PublishedGet(t.Context(), "e1")
	if err != nil || len(ev.Deliveries) != 2 {
		t.Fatalf("PublishedGet = %+v, %v; want 2 deliveries", ev, err)
	}
}

func testPublishBatch(t *testing.T, ps store.PublishStore) {
	publish(t, ps, &store.EventPublishParams{ID: "old", Type: "t", Now: pubT0, Payload: json.RawMessage(`{"v":0}`)})
	at := pubT0.Add(time.Minute)
	outs, err := ps.EventPublishBatch(t.Context(), []*store.EventPublishParams{
		{ID: "b2", Type: "t", Now: at, Payload: json.RawMessage(`{"v":1}`),
			Deliveries: []*store.DeliveryParams{{Subscription: "s", Create: pubCreate("s-b2", "s", `{}`)}}},
		{ID: "old", Type: "t", Now: at, Payload: json.RawMessage(`{"v":2}`)},
		{ID: "b2", Type: "t", Now: at, Payload: json.RawMessage(`{"v":3}`),
			Deliveries: []*store.DeliveryParams{{Subscription: "s", Create: pubCreate("s-b2-bis", "s", `{}`)}}},
		{ID: "b1", Type: "t", Now: at},
	})
	if err != nil {
		t.Fatalf("EventPublishBatch: %v", err)
	}
	var got []string
	for _, o := range outs {
		got = append(got, fmt.Sprintf("%s %v %s %d", o.Event.ID, o.Created, o.Event.Payload, len(o.Event.Deliveries)))
	}
	want := []string{`b2 true {"v":1} 1`, `old false {"v":0} 0`, `b2 false {"v":1} 1`, `b1 true  0`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	if _, err := ps.(store.Store).InstanceGet(t.Context(), "s-b2-bis"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a duplicate in the batch started its instance: err = %v", err)
	}
	// One invalid event refuses the whole batch.
	if _, err := ps.EventPublishBatch(t.Context(), []*store.EventPublishParams{{ID: "b3", Type: "t"}, {ID: "b4"}}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("batch with an invalid event: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := ps.PublishedGet(t.Context(), "b3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("b3 of a refused batch: err = %v, want ErrNotFound", err)
	}
}
