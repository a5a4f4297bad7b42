package enginetest

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// payment is the child workflow of the tests: it waits for "captured"
// (so the parent waits on it), then fails when asked to. held counts its
// compensations.
type payArgs struct {
	Amount int  `json:"amount"`
	Fail   bool `json:"fail"`
}

func paymentWorkflow(undone *atomic.Int32) *ordo.Workflow[payArgs, int] {
	return ordo.NewWorkflow("payment", func(ctx context.Context, a payArgs) (int, error) {
		if _, err := ordo.DoWithCompensation(ctx, "hold", nil, func(context.Context) (int, int, error) {
			return a.Amount, a.Amount, nil
		}, func(context.Context, int) error { undone.Add(1); return nil }); err != nil {
			return 0, err
		}
		if _, err := ordo.WaitForEvent[string](ctx, "captured", "captured", time.Hour); err != nil {
			return 0, err
		}
		if a.Fail {
			return 0, ordo.NonRetryable(errors.New("card declined"))
		}
		return a.Amount * 100, nil
	})
}

// childEnv registers "order", whose compensable "reserve" precedes an
// awaited child "pay" of workflow "payment".
func childEnv(t *testing.T, st store.Store) (env *ordotest.Env, reserveUndone, payUndone *atomic.Int32) {
	env = ordotest.New(t, &ordotest.Options{Store: st})
	reserveUndone, payUndone = new(atomic.Int32), new(atomic.Int32)
	pay := paymentWorkflow(payUndone)
	env.Register(pay, ordo.NewWorkflow("order", func(ctx context.Context, a payArgs) (int, error) {
		if _, err := ordo.DoWithCompensation(ctx, "reserve", nil, func(context.Context) (bool, bool, error) {
			return true, true, nil
		}, func(context.Context, bool) error { reserveUndone.Add(1); return nil }); err != nil {
			return 0, err
		}
		return ordo.ExecuteChild(ctx, "pay", pay, a, nil)
	}))
	return env, reserveUndone, payUndone
}

// testChildAwaited: the parent waits for its child without a worker and
// gets its output; a failed child fails the parent's step and the
// parent's compensations run. Parent and child link to each other.
func testChildAwaited(t *testing.T, s Suite) {
	env, reserveUndone, _ := childEnv(t, s.Open(t))
	ctx := t.Context()
	for _, tc := range []struct {
		id, params string
	}{{"ok", `{"amount": 3}`}, {"bad", `{"amount": 4, "fail": true}`}} {
		createWith(t, env, tc.id, "order", tc.params)
	}
	for _, id := range []string{"ok", "bad"} {
		child := ordo.ChildInstanceID(id, "pay#1")
		waitChildStatus(t, env, child, ordo.StatusWaiting)
		parent := waitFor(t, env.Engine, id, "the parent waiting", func(in *ordo.Instance) bool { return in.Status == ordo.StatusWaiting })
		if parent.WakeAt != nil {
			t.Errorf("%s waits until %v; a parent waits for its child only", id, parent.WakeAt)
		}
		got, err := env.Engine.Get(ctx, child)
		if err != nil || got.ParentID != id || got.ParentStep != "pay#1" || got.ChildPolicy != ordo.ChildTerminate {
			t.Fatalf("child %s: %+v %v, want linked to %s", child, got, err, id)
		}
		page, err := env.Engine.List(ctx, &ordo.ListOptions{ParentID: id})
		if err != nil || len(page.Instances) != 1 || page.Instances[0].ID != child {
			t.Fatalf("children of %s: %+v %v", id, page, err)
		}
	}
	waitIdle(t, env.Engine)
	for _, id := range []string{"ok", "bad"} {
		env.SendEvent(ordo.ChildInstanceID(id, "pay#1"), "captured", "yes")
	}
	if got := outputOf(t, env, "ok"); got != "300" {
		t.Errorf("ok's output %s, want the child's 300", got)
	}
	bad := env.WaitDone("bad")
	if bad.Status != ordo.StatusErrored || bad.Error == nil || !strings.Contains(bad.Error.Message, "card declined") {
		t.Fatalf("bad = %s %+v, want errored by the child's failure", bad.Status, bad.Error)
	}
	if n := reserveUndone.Load(); n != 1 {
		t.Errorf("reserve undone %d times, want once (for bad)", n)
	}
}

// testChildStart: StartChild returns the child's ID at once; the parent
// finishes while the child still runs.
func testChildStart(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	pay := paymentWorkflow(new(atomic.Int32))
	env.Register(pay, ordo.NewWorkflow("order", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.StartChild(ctx, "pay", pay, payArgs{Amount: 1}, &ordo.ChildOptions{ID: "pay-for-o1"})
	}))
	createWith(t, env, "o1", "order", `{}`)
	if got := outputOf(t, env, "o1"); got != `"pay-for-o1"` {
		t.Fatalf("output %s, want the child's id", got)
	}
	child := waitChildStatus(t, env, "pay-for-o1", ordo.StatusWaiting)
	if child.ParentID != "o1" || child.ParentStep != "pay#1" {
		t.Fatalf("child %+v, want linked to o1", child.Instance)
	}
	env.SendEvent("pay-for-o1", "captured", "yes")
	if got := outputOf(t, env, "pay-for-o1"); got != "100" {
		t.Errorf("child output %s", got)
	}
}

// testChildParentPolicies: terminating or cancelling a parent applies
// each running child's policy: terminated, cancelled with its
// compensation, or left running.
func testChildParentPolicies(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	undone := new(atomic.Int32)
	pay := paymentWorkflow(undone)
	policies := []ordo.ChildPolicy{ordo.ChildTerminate, ordo.ChildCancel, ordo.ChildAbandon}
	env.Register(pay, ordo.NewWorkflow("order", func(ctx context.Context, _ struct{}) (string, error) {
		for _, p := range policies {
			if _, err := ordo.StartChild(ctx, "pay-"+string(p), pay, payArgs{Amount: 1}, &ordo.ChildOptions{Policy: p}); err != nil {
				return "", err
			}
		}
		return ordo.WaitForEvent[string](ctx, "done", "done", time.Hour)
	}))
	ctx := t.Context()
	for _, action := range []string{"terminate", "cancel"} {
		id := "o-" + action
		createWith(t, env, id, "order", `{}`)
		for _, p := range policies {
			waitChildStatus(t, env, ordo.ChildInstanceID(id, "pay-"+string(p)+"#1"), ordo.StatusWaiting)
		}
		env.WaitStatus(id, ordo.StatusWaiting)
		before := undone.Load()
		var err error
		if action == "terminate" {
			_, err = env.Engine.Terminate(ctx, id)
		} else {
			_, err = env.Engine.Cancel(ctx, id, "customer left")
		}
		if err != nil {
			t.Fatal(err)
		}
		want := map[ordo.ChildPolicy]ordo.Status{ordo.ChildTerminate: ordo.StatusTerminated, ordo.ChildCancel: ordo.StatusCancelled}
		for _, p := range policies[:2] {
			got := env.WaitDone(ordo.ChildInstanceID(id, "pay-"+string(p)+"#1"))
			if got.Status != want[p] {
				t.Errorf("%s: child with policy %s is %s, want %s", action, p, got.Status, want[p])
			}
		}
		if n := undone.Load() - before; n != 1 {
			t.Errorf("%s: %d child compensations ran, want 1 (the cancelled child's)", action, n)
		}
		left, err := env.Engine.Get(ctx, ordo.ChildInstanceID(id, "pay-abandon#1"))
		if err != nil || left.Status != ordo.StatusWaiting {
			t.Errorf("%s: the abandoned child is %v %v, want still waiting", action, left.Status, err)
		}
	}
}

// testChildTerminatedFailsParent: a child terminated by an operator
// fails its parent's step, in the terminate's transaction.
func testChildTerminatedFailsParent(t *testing.T, s Suite) {
	env, reserveUndone, _ := childEnv(t, s.Open(t))
	createWith(t, env, "o1", "order", `{"amount": 1}`)
	child := ordo.ChildInstanceID("o1", "pay#1")
	waitChildStatus(t, env, child, ordo.StatusWaiting)
	env.WaitStatus("o1", ordo.StatusWaiting)
	if _, err := env.Engine.Terminate(t.Context(), child); err != nil {
		t.Fatal(err)
	}
	got := env.WaitDone("o1")
	if got.Status != ordo.StatusErrored || got.Error == nil || !strings.Contains(got.Error.Message, "terminated") {
		t.Fatalf("parent %s %+v, want errored by the terminated child", got.Status, got.Error)
	}
	if reserveUndone.Load() != 1 {
		t.Errorf("reserve undone %d times, want 1", reserveUndone.Load())
	}
}

// testChildExactlyOnceAfterCrash: a parent whose
// process stopped after creating its child (the child exists, the step
// is not recorded) adopts that child in a new engine instead of starting
// a second; a replay after the step was recorded starts none either.
func testChildExactlyOnceAfterCrash(t *testing.T, s Suite) {
	st := s.Open(t)
	var starts atomic.Int32
	register := func(env *ordotest.Env) {
		pay := paymentWorkflow(new(atomic.Int32))
		env.Register(pay, ordo.NewWorkflow("order", func(ctx context.Context, a payArgs) (int, error) {
			starts.Add(1)
			if _, err := ordo.ExecuteChild(ctx, "pay", pay, a, nil); err != nil {
				return 0, err
			}
			return ordo.WaitForEvent[int](ctx, "tip", "tip", time.Hour)
		}))
	}
	// The crash window: the child was created (as the parent's first run
	// did) but the parent's step was not recorded.
	child := ordo.ChildInstanceID("o1", "pay#1")
	if _, err := st.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "o1", Workflow: "order",
		Params: []byte(`{"amount": 2}`), Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: child, Workflow: "payment",
		Params: []byte(`{"amount": 2}`), Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Parent: &store.ParentLink{ID: "o1", Step: "pay#1", Policy: store.ChildTerminate}}); err != nil {
		t.Fatal(err)
	}
	env := ordotest.New(t, &ordotest.Options{Store: st})
	register(env)
	env.WaitStatus(child, ordo.StatusWaiting)
	env.WaitStatus("o1", ordo.StatusWaiting)
	env.SendEvent(child, "captured", "yes")
	waitFor(t, env.Engine, "o1", "the parent past its child", func(in *ordo.Instance) bool {
		return len(in.Steps) == 2 && in.Steps[1].Key == "tip#1"
	})
	stopEngine(t, env.Engine)

	// A new engine on the same store replays the parent: the child step is
	// answered from the journal.
	env2 := ordotest.New(t, &ordotest.Options{Store: st, Start: env.Clock.Now()})
	register(env2)
	env2.SendEvent("o1", "tip", 5)
	if got := outputOf(t, env2, "o1"); got != "5" {
		t.Fatalf("o1 output %s", got)
	}
	page, err := env2.Engine.List(t.Context(), &ordo.ListOptions{ParentID: "o1"})
	if err != nil || len(page.Instances) != 1 || page.Instances[0].ID != child || page.Instances[0].Status != ordo.StatusComplete {
		t.Fatalf("children of o1: %+v %v, want the one child, complete", page, err)
	}
	if starts.Load() < 2 {
		t.Errorf("the parent ran %d times; the test needs a replay", starts.Load())
	}
}
