package ordo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: workflow %q is not registered", ordo.ErrNotFound, "x"), `workflow "x" is not registered`},
		{fmt.Errorf("instance %q already exists: %w", "a", ordo.ErrAlreadyExists), `instance "a" already exists`},
		{fmt.Errorf("register flow: %w", fmt.Errorf("%w: limit 5", ordo.ErrInvalidArgument)), "register flow: limit 5"},
		{ordo.ErrNotFound, "not found"},
		{&ordo.Error{Sentinel: ordo.ErrInvalidTransition, Message: `instance "a" is complete`, Cause: errors.New("sqlite: deep")},
			`instance "a" is complete`},
		{errors.New("disk full"), "disk full"},
	}
	for _, tc := range tests {
		if got := ordo.Message(tc.err); got != tc.want {
			t.Errorf("Message(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestControlErrorsForCallers: a refused control action is an *ordo.Error
// whose message says why without the storage layers, and which matches
// both the engine's and the store's sentinel.
func TestControlErrorsForCallers(t *testing.T) {
	t.Parallel()
	e, err := ordo.NewEngine(ordo.Config{Store: newMemStore(), Logger: quietLogger(), PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wf := ordo.NewWorkflow("quick", func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil })
	mustRegister(t, e, wf)
	startEngine(t, e)
	ctx := context.Background()
	if _, err := e.Create(ctx, "quick", nil, &ordo.CreateOptions{ID: "X"}); err != nil {
		t.Fatal(err)
	}
	waitDone(t, e, "X")
	tests := []struct {
		name     string
		op       func() error
		sentinel error
		store    error
		want     string
	}{
		{"resume", func() error { _, err := e.Resume(ctx, "X"); return err }, ordo.ErrInvalidTransition, store.ErrInvalidTransition,
			`instance "X" is complete: resume needs a paused instance`},
		{"pause", func() error { _, err := e.Pause(ctx, "X"); return err }, ordo.ErrInvalidTransition, store.ErrInvalidTransition,
			`instance "X" is complete: pause needs a queued, running or waiting instance`},
		{"terminate", func() error { _, err := e.Terminate(ctx, "X"); return err }, ordo.ErrInvalidTransition, store.ErrInvalidTransition,
			`instance "X" is complete: terminate needs an instance that has not finished`},
		{"restart from an unknown step", func() error {
			_, err := e.Restart(ctx, "X", &ordo.RestartOptions{FromStep: "nope"})
			return err
		}, ordo.ErrNotFound, store.ErrNotFound, `instance "X" has no step "nope" to restart from`},
		{"event", func() error { return e.SendEvent(ctx, "X", "paid", nil) }, ordo.ErrInvalidTransition, store.ErrInvalidTransition,
			`instance "X" is complete: a finished instance accepts no events`},
		{"unknown instance", func() error { _, err := e.Pause(ctx, "Y"); return err }, ordo.ErrNotFound, store.ErrNotFound,
			`instance "Y" does not exist`},
		{"not an id at all", func() error { _, err := e.Get(ctx, "\xff"); return err }, ordo.ErrNotFound, nil,
			`instance "\xff" does not exist`},
		{"forged cursor", func() error { _, err := e.List(ctx, &ordo.ListOptions{Cursor: "!!"}); return err },
			ordo.ErrInvalidArgument, store.ErrInvalidArgument, `cursor "!!" is not valid: pass the nextCursor of a previous page unchanged`},
		{"forged event cursor", func() error { _, err := e.Events(ctx, "X", &ordo.EventListOptions{Cursor: "!!"}); return err },
			ordo.ErrInvalidArgument, store.ErrInvalidArgument, `cursor "!!" is not valid: pass the nextCursor of a previous page unchanged`},
		{"filter not text", func() error { _, err := e.List(ctx, &ordo.ListOptions{Workflow: "a\x00"}); return err },
			ordo.ErrInvalidArgument, nil, "workflow: must be at most 1024 bytes of UTF-8 text without NUL"},
	}
	for _, tc := range tests {
		err := tc.op()
		var oe *ordo.Error
		if !errors.As(err, &oe) || !errors.Is(err, tc.sentinel) || tc.store != nil && !errors.Is(err, tc.store) {
			t.Errorf("%s: %v; want an *ordo.Error matching %v and %v", tc.name, err, tc.sentinel, tc.store)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%s: message %q, want %q", tc.name, err.Error(), tc.want)
		}
	}
}

func TestReservePrefix(t *testing.T) {
	t.Parallel()
	e, err := ordo.NewEngine(ordo.Config{Store: newMemStore(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	stopOnCleanup(t, e)
	wf := ordo.NewWorkflow("res/a", func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil })
	mustRegister(t, e, wf)
	r, err := e.ReservePrefix("res/", "create them with Service.Make")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = e.Create(ctx, "res/a", nil, nil)
	if !errors.Is(err, ordo.ErrInvalidArgument) || err.Error() != `workflow "res/a" is reserved: create them with Service.Make` {
		t.Errorf("Create of a reserved workflow without the reservation: %v", err)
	}
	if _, err := wf.Create(ctx, e, struct{}{}, &ordo.CreateOptions{ID: "typed"}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("Workflow.Create bypassed the reservation: %v", err)
	}
	other, _ := ordo.NewEngine(ordo.Config{Store: newMemStore(), Logger: quietLogger()})
	stopOnCleanup(t, other)
	foreign, _ := other.ReservePrefix("res/", "")
	if _, err := e.Create(ctx, "res/a", nil, &ordo.CreateOptions{Reservation: foreign}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("another engine's reservation was accepted: %v", err)
	}
	if _, err := e.Create(ctx, "res/a", json.RawMessage(`{}`), &ordo.CreateOptions{ID: "ok", Reservation: r}); err != nil {
		t.Errorf("Create with the reservation: %v", err)
	}
	for prefix, want := range map[string]error{"": ordo.ErrInvalidArgument, "res/": ordo.ErrAlreadyExists, "re": ordo.ErrAlreadyExists, "res/x/": ordo.ErrAlreadyExists} {
		if _, err := e.ReservePrefix(prefix, ""); !errors.Is(err, want) {
			t.Errorf("ReservePrefix(%q) = %v, want %v", prefix, err, want)
		}
	}
}

func TestEventLimitConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg ordo.Config
		ok  bool
	}{
		{ordo.Config{MaxEventsPerInstance: -1, MaxEventBytesPerInstance: -1}, true},
		{ordo.Config{MaxEventsPerInstance: -2}, false},
		{ordo.Config{MaxEventBytesPerInstance: -5}, false},
		{ordo.Config{AbandonGrace: -time.Second}, false},
	} {
		tc.cfg.Store = newMemStore()
		if _, err := ordo.NewEngine(tc.cfg); (err == nil) != tc.ok || err != nil && !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("NewEngine(%+v) = %v, want ok %v", tc.cfg, err, tc.ok)
		}
	}
	// -1: no limit.
	e, _ := ordo.NewEngine(ordo.Config{Store: newMemStore(), Logger: quietLogger(), MaxEventsPerInstance: -1})
	stopOnCleanup(t, e)
	mustRegister(t, e, ordo.NewWorkflow("idle", func(ctx context.Context, _ struct{}) (string, error) { return "", nil }))
	ctx := context.Background()
	if _, err := e.Create(ctx, "idle", nil, &ordo.CreateOptions{ID: "i"}); err != nil {
		t.Fatal(err)
	}
	for i := range ordo.DefaultMaxEventsPerInstance + 1 {
		if err := e.SendEvent(ctx, "i", "note", i); err != nil {
			t.Fatalf("event %d without a count limit: %v", i, err)
		}
	}
	page, err := e.Events(ctx, "i", &ordo.EventListOptions{Limit: 1000})
	if err != nil || len(page.Events) != 1000 || page.NextCursor == "" {
		t.Fatalf("Events: %v, %d events, cursor %q", err, len(page.Events), page.NextCursor)
	}
	page, err = e.Events(ctx, "i", &ordo.EventListOptions{Limit: 1000, Cursor: page.NextCursor})
	if err != nil || len(page.Events) != 1 || page.NextCursor != "" || string(page.Events[0].Payload) != "1000" {
		t.Fatalf("Events page 2: %v, %+v", err, page)
	}
	if _, err := e.Events(ctx, "i", &ordo.EventListOptions{Limit: 1001}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("Events with limit 1001: %v", err)
	}
	if err := e.SendEvent(ctx, "i", "bad type!", nil); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("SendEvent with an invalid type: %v", err)
	}
}
