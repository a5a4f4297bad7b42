package enginetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

func testEvents(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	type approval struct {
		By string `json:"by"`
	}
	wf := ordo.NewWorkflow("approve", func(ctx context.Context, _ struct{}) (string, error) {
		a, err := ordo.WaitForEvent[approval](ctx, "await approval", "approved", time.Hour)
		if errors.Is(err, ordo.ErrEventTimeout) {
			return "timed out", nil
		}
		if err != nil {
			return "", err
		}
		return "approved by " + a.By, nil
	})
	env.Register(wf)

	// Sent after the wait started.
	id := env.Start("approve", struct{}{})
	env.WaitStatus(id, ordo.StatusWaiting)
	env.SendEvent(id, "approved", approval{By: "ann"})
	if got := env.WaitDone(id); string(got.Output) != `"approved by ann"` {
		t.Fatalf("output = %s", got.Output)
	}

	// Sent before the wait started: not lost.
	id2 := "early"
	if _, err := env.Engine.Create(context.Background(), "approve", nil, &ordo.CreateOptions{ID: id2}); err != nil {
		t.Fatal(err)
	}
	env.SendEvent(id2, "approved", approval{By: "bob"})
	if got := env.WaitDone(id2); string(got.Output) != `"approved by bob"` {
		t.Fatalf("output = %s", got.Output)
	}

	// Never sent: times out after an hour of virtual time.
	id3 := env.Start("approve", struct{}{})
	if got := env.WaitDone(id3); string(got.Output) != `"timed out"` {
		t.Fatalf("output = %s", got.Output)
	}
}

type paidEvent struct {
	OrderID string `json:"orderId"`
	Amount  int    `json:"amount"`
}

// testWaitForEventMatch: a wait with Match receives only the event whose
// payload matches, whatever arrived first, before or after the wait
// started; events that do not match stay unconsumed and do not wake the
// instance for good (it keeps its deadline).
func testWaitForEventMatch(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	env.Register(ordo.NewWorkflow("pay", func(ctx context.Context, order string) (paidEvent, error) {
		return ordo.WaitForEvent[paidEvent](ctx, "paid", "paid", time.Hour, ordo.Match("orderId", order))
	}))
	ctx := t.Context()
	create := func(id, order string) { createWith(t, env, id, "pay", `"`+order+`"`) }
	output := func(id string) string { return outputOf(t, env, id) }

	// A's event, then B's, to an instance waiting for B: B's.
	create("wait-b", "B")
	start := env.WaitStatus("wait-b", ordo.StatusWaiting)
	env.SendEvent("wait-b", "paid", paidEvent{OrderID: "A", Amount: 1})
	// A's event wakes the instance once; it waits again until its deadline.
	deadline := start.CreatedAt.Add(time.Hour)
	waitFor(t, env.Engine, "wait-b", "waiting again after A's event", func(in *ordo.Instance) bool {
		return in.Status == ordo.StatusWaiting && in.Claims == 2 && in.WakeAt != nil && in.WakeAt.Equal(deadline)
	})
	env.SendEvent("wait-b", "paid", paidEvent{OrderID: "B", Amount: 2})
	if got := output("wait-b"); got != `{"orderId":"B","amount":2}` {
		t.Errorf("wait-b received %s, want B's event", got)
	}
	page, err := env.Engine.Events(ctx, "wait-b", nil)
	if err != nil || len(page.Events) != 2 || page.Events[0].ConsumedBy != "" || page.Events[1].ConsumedBy == "" {
		t.Errorf("events of wait-b = %+v, %v; want A's unconsumed and B's consumed", page, err)
	}

	// Both sent before the wait starts, the matching one last.
	create("early", "B")
	env.SendEvent("early", "paid", paidEvent{OrderID: "A", Amount: 3})
	env.SendEvent("early", "paid", paidEvent{OrderID: "B", Amount: 4})
	if got := output("early"); got != `{"orderId":"B","amount":4}` {
		t.Errorf("early received %s, want B's event", got)
	}

	// Two instances waiting for different orders, each sent both
	// events, the other's first: an instance is done once its
	// match arrives, and an event to a finished instance is refused.
	create("wait-c", "C")
	create("wait-d", "D")
	for _, order := range []string{"D", "C"} {
		env.SendEvent("wait-c", "paid", paidEvent{OrderID: order, Amount: 5})
	}
	for _, order := range []string{"C", "D"} {
		env.SendEvent("wait-d", "paid", paidEvent{OrderID: order, Amount: 6})
	}
	if got := output("wait-c"); got != `{"orderId":"C","amount":5}` {
		t.Errorf("wait-c received %s", got)
	}
	if got := output("wait-d"); got != `{"orderId":"D","amount":6}` {
		t.Errorf("wait-d received %s", got)
	}
}

// testWaitForEventMatchTimeout: a matched wait that only ever sees other
// orders' events times out on the virtual clock.
func testWaitForEventMatchTimeout(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	env.Register(ordo.NewWorkflow("pay", func(ctx context.Context, order string) (string, error) {
		_, err := ordo.WaitForEvent[paidEvent](ctx, "paid", "paid", time.Hour, ordo.Match("orderId", order))
		if errors.Is(err, ordo.ErrEventTimeout) {
			return "timed out", nil
		}
		return "paid", err
	}))
	id := env.Start("pay", "B")
	env.SendEvent(id, "paid", paidEvent{OrderID: "A"})
	if got := env.WaitDone(id); string(got.Output) != `"timed out"` {
		t.Fatalf("output = %s, want a timeout", got.Output)
	}
}

// testWaitForEventMatchPublished: published events (addressed to no
// instance) reach the matched waits they satisfy: while they wait, and
// from before the wait began inside the look-back window (24 h by
// default), not outside it; each instance gets its own order's event, and
// a plain wait gets none.
func testWaitForEventMatchPublished(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	env.Register(
		ordo.NewWorkflow("pay", func(ctx context.Context, order string) (paidEvent, error) {
			return ordo.WaitForEvent[paidEvent](ctx, "paid", "paid", 48*time.Hour, ordo.Match("orderId", order))
		}),
		ordo.NewWorkflow("any", func(ctx context.Context, _ struct{}) (paidEvent, error) {
			return ordo.WaitForEvent[paidEvent](ctx, "paid", "paid", time.Hour)
		}))
	ctx := t.Context()
	publish := func(id, order string, amount int) {
		t.Helper()
		if _, _, err := env.Engine.Publish(ctx, ordo.PublishEvent{ID: id, Type: "paid",
			Payload: paidEvent{OrderID: order, Amount: amount}}); err != nil {
			t.Fatal(err)
		}
	}
	create := func(id, workflow, params string) { createWith(t, env, id, workflow, params) }
	output := func(id string) string { return outputOf(t, env, id) }

	// Published 25 h and 23 h before the waits begin.
	publish("old-e", "E", 1)
	env.Clock.Advance(2 * time.Hour)
	publish("recent-b", "B", 2)
	env.Clock.Advance(23 * time.Hour)

	create("wait-b", "pay", `"B"`) // inside the window
	if got := output("wait-b"); got != `{"orderId":"B","amount":2}` {
		t.Errorf("wait-b received %s, want the event published 23 h before", got)
	}
	create("wait-e", "pay", `"E"`) // outside the window
	env.WaitStatus("wait-e", ordo.StatusWaiting)
	if page, err := env.Engine.Events(ctx, "wait-e", nil); err != nil || len(page.Events) != 0 {
		t.Errorf("events of wait-e = %+v, %v; want none: old-e is outside the window", page, err)
	}

	// Two instances waiting for different orders, and a plain wait.
	create("wait-f", "pay", `"F"`)
	create("plain", "any", `{}`)
	env.WaitStatus("wait-f", ordo.StatusWaiting)
	env.WaitStatus("plain", ordo.StatusWaiting)
	publish("g", "G", 3) // matches no wait yet
	publish("f", "F", 4)
	publish("e", "E", 5)
	publish("f", "F", 6) // a duplicate ID: nothing again
	if got := output("wait-f"); got != `{"orderId":"F","amount":4}` {
		t.Errorf("wait-f received %s, want F's event", got)
	}
	if got := output("wait-e"); got != `{"orderId":"E","amount":5}` {
		t.Errorf("wait-e received %s, want the E event published while it waited", got)
	}
	create("wait-g", "pay", `"G"`) // G's event, published before, in the window
	if got := output("wait-g"); got != `{"orderId":"G","amount":3}` {
		t.Errorf("wait-g received %s", got)
	}
	for _, id := range []string{"wait-b", "wait-e", "wait-f", "wait-g"} {
		if page, err := env.Engine.Events(ctx, id, nil); err != nil || len(page.Events) != 1 {
			t.Errorf("events of %s = %+v, %v; want exactly one copy", id, page, err)
		}
	}
	if page, err := env.Engine.Events(ctx, "plain", nil); err != nil || len(page.Events) != 0 {
		t.Errorf("events of the plain wait = %+v, %v; want none", page, err)
	}
}

// testWaitForEventAwait: a waiting event step records the event type and
// the match it waits for (Step.Await), on every backend, and keeps it
// once the event arrived; a wait without Match records the type alone.
func testWaitForEventAwait(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	env.Register(ordo.NewWorkflow("pay", func(ctx context.Context, order string) (paidEvent, error) {
		if _, err := ordo.WaitForEvent[json.RawMessage](ctx, "approved", "approval", time.Hour); err != nil {
			return paidEvent{}, err
		}
		return ordo.WaitForEvent[paidEvent](ctx, "paid", "payment.received", time.Hour,
			ordo.Match("orderId", order), ordo.Match("amount", 12))
	}))
	createWith(t, env, "w", "pay", `"C-1"`)
	awaits := func(in *ordo.Instance) map[string]*store.EventAwait {
		out := map[string]*store.EventAwait{}
		for _, st := range in.Steps {
			if st.Kind == store.KindEvent {
				out[st.Name] = st.Await
			}
		}
		return out
	}
	approval := &store.EventAwait{Type: "approval"}
	in := env.WaitStatus("w", ordo.StatusWaiting)
	if diff := cmp.Diff(map[string]*store.EventAwait{"approved": approval}, awaits(in)); diff != "" {
		t.Errorf("first wait: awaits (-want +got):\n%s", diff)
	}
	env.SendEvent("w", "approval", true)
	paid := &store.EventAwait{Type: "payment.received",
		Match: map[string]json.RawMessage{"orderId": json.RawMessage(`"C-1"`), "amount": json.RawMessage(`12`)}}
	want := map[string]*store.EventAwait{"approved": approval, "paid": paid}
	in = waitFor(t, env.Engine, "w", "waiting for the payment", func(in *ordo.Instance) bool {
		return in.Status == ordo.StatusWaiting && len(awaits(in)) == 2
	})
	if diff := cmp.Diff(want, awaits(in)); diff != "" {
		t.Errorf("second wait: awaits (-want +got):\n%s", diff)
	}
	env.SendEvent("w", "payment.received", paidEvent{OrderID: "C-1", Amount: 12})
	in = env.WaitDone("w")
	if diff := cmp.Diff(want, awaits(in)); diff != "" {
		t.Errorf("done: awaits (-want +got):\n%s", diff)
	}
}
