package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store/memory"
)

// TestInstancesUnregisteredWorkflow: describe and list show an instance
// whose workflow the server has not registered as such, not as a sleep.
func TestInstancesUnregisteredWorkflow(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	st := memory.New()
	wf := func(name string) ordo.Definition {
		return ordo.NewWorkflow(name, func(ctx context.Context, _ struct{}) (int, error) { return 1, nil })
	}
	old, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Register(wf("gone")); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Create(t.Context(), "gone", json.RawMessage(`{}`), &ordo.CreateOptions{ID: "g-1"}); err != nil {
		t.Fatal(err)
	}
	if err := old.Stop(t.Context()); err != nil { // it only created: Stop ends its committer
		t.Fatal(err)
	}
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, Version: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(wf("kept")); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, _ := api.New(api.Config{Engine: e, Logger: log})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	out, _, err := runCLI(t, "instances", "describe", "g-1", "--server", hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `Reason    unregistered_workflow: no worker of the server has registered workflow "gone"`) {
		t.Errorf("describe lacks the reason:\n%s", out)
	}
	out, _, err = runCLI(t, "instances", "list", "--server", hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "queued (unregistered_workflow)") {
		t.Errorf("list lacks the reason:\n%s", out)
	}
	out, _, err = runCLI(t, "instances", "describe", "g-1", "--server", hs.URL, "--json")
	if err != nil || !strings.Contains(out, `"reason": "unregistered_workflow"`) && !strings.Contains(out, `"reason":"unregistered_workflow"`) {
		t.Errorf("describe --json lacks the reason (%v):\n%s", err, out)
	}
}
