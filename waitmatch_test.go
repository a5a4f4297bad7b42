package ordo_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/sqlite"
)

type paidEvent struct {
	OrderID string `json:"orderId"`
	Amount  int    `json:"amount"`
}

// matchStores are the backends the matched-wait tests run on: memory,
// SQLite in a file, PostgreSQL (skipped when ORDO_TEST_POSTGRES_URL is
// unset).
var matchStores = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"memory", func(*testing.T) store.Store { return newMemStore() }},
	{"sqlite", func(t *testing.T) store.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ordo.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return st
	}},
	{"postgres", func(t *testing.T) store.Store {
		url, _ := pgtest.Schema(t)
		st, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return st
	}},
}

// TestWaitForEventMatch: a wait with Match receives only the event whose
// payload matches, whatever arrived first, before or after the wait
// started; events that do not match stay unconsumed and do not wake the
// instance for good (it keeps its deadline).
func TestWaitForEventMatch(t *testing.T) {
	for _, bk := range matchStores {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			env := ordotest.New(t, &ordotest.Options{Store: bk.open(t)})
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
		})
	}
}

// TestWaitForEventMatchTimeout: a matched wait that only ever sees other
// orders' events times out on the virtual clock.
func TestWaitForEventMatchTimeout(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
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

// TestMatchInvalid: matches the store cannot keep are refused in the
// workflow, naming the field.
func TestMatchInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []ordo.WaitOption
		want string
	}{
		{"object value", []ordo.WaitOption{ordo.Match("order", map[string]int{"id": 1})}, `field "order": value must be a JSON string`},
		{"empty field", []ordo.WaitOption{ordo.Match("", 1)}, "a field name is empty"},
		{"unmarshalable", []ordo.WaitOption{ordo.Match("f", make(chan int))}, `Match "f": marshal value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := ordotest.New(t, nil)
			env.Register(ordo.NewWorkflow("bad", func(ctx context.Context, _ struct{}) (string, error) {
				_, err := ordo.WaitForEvent[paidEvent](ctx, "paid", "paid", time.Hour, tc.opts...)
				if !errors.Is(err, ordo.ErrInvalidArgument) {
					return "", errors.New("want ErrInvalidArgument, got " + errString(err))
				}
				return err.Error(), nil
			}))
			got := env.WaitDone(env.Start("bad", struct{}{}))
			var msg string
			_ = json.Unmarshal(got.Output, &msg)
			if got.Status != ordo.StatusComplete || !strings.Contains(msg, tc.want) {
				t.Errorf("got %s %s %+v, want an output naming %q", got.Status, got.Output, got.Error, tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestWaitForEventMatchPublished: published events (addressed to no
// instance) reach the matched waits they satisfy: while they wait, and
// from before the wait began inside the look-back window (24 h by
// default), not outside it; each instance gets its own order's event, and
// a plain wait gets none.
func TestWaitForEventMatchPublished(t *testing.T) {
	for _, bk := range matchStores {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			env := ordotest.New(t, &ordotest.Options{Store: bk.open(t)})
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
		})
	}
}

// createWith creates an instance of workflow with the JSON params and id.
func createWith(t *testing.T, env *ordotest.Env, id, workflow, params string) {
	t.Helper()
	if _, err := env.Engine.Create(t.Context(), workflow, []byte(params), &ordo.CreateOptions{ID: id}); err != nil {
		t.Fatal(err)
	}
}

// outputOf waits for the instance to complete and returns its output.
func outputOf(t *testing.T, env *ordotest.Env, id string) string {
	t.Helper()
	got := env.WaitDone(id)
	if got.Status != ordo.StatusComplete {
		t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
	}
	return string(got.Output)
}
