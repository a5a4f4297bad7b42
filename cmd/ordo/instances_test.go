package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store/memory"
)

// runCLI runs the ordo command with args and returns stdout, stderr and the error.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func startAPI(t *testing.T, extra ...ordo.Definition) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wf := ordo.NewWorkflow("ship", func(ctx context.Context, p map[string]string) (string, error) {
		if _, err := ordo.Do(ctx, "label", nil, func(ctx context.Context) (string, error) { return "L-" + p["order"], nil }); err != nil {
			return "", err
		}
		return ordo.WaitForEvent[string](ctx, "pickup", "picked-up", time.Hour)
	})
	if err := e.Register(append([]ordo.Definition{wf}, extra...)...); err != nil {
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
	return hs.URL
}

func waitCLI(t *testing.T, server, id, want string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, _, err := runCLI(t, "instances", "describe", id, "--server", server)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, "Status    "+want) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s never reached %s:\n%s", id, want, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInstancesCommands(t *testing.T) {
	server := startAPI(t)
	out, _, err := runCLI(t, "instances", "create", "ship", "--id", "o-1", "--params", `{"order": "1001"}`, "--server", server)
	if err != nil || !strings.Contains(out, "created o-1") {
		t.Fatalf("create: %q %v", out, err)
	}
	desc := waitCLI(t, server, "o-1", "waiting")
	for _, want := range []string{"Workflow  ship", "label#1", "completed", `"L-1001"`, "pickup#1", "event", "until ",
		"Awaits    event picked-up (step pickup#1)", "event picked-up until "} {
		if !strings.Contains(desc, want) {
			t.Errorf("describe lacks %q:\n%s", want, desc)
		}
	}
	if out, _, err := runCLI(t, "instances", "pause", "o-1", "--server", server); err != nil || !strings.Contains(out, "o-1: paused") {
		t.Fatalf("pause: %q %v", out, err)
	}
	_, _, err = runCLI(t, "instances", "pause", "o-1", "--server", server)
	if err == nil || !strings.Contains(err.Error(), "invalid_transition") {
		t.Fatalf("second pause: %v", err)
	}
	if _, _, err := runCLI(t, "instances", "resume", "o-1", "--server", server); err != nil {
		t.Fatal(err)
	}
	waitCLI(t, server, "o-1", "waiting")
	if _, _, err := runCLI(t, "instances", "send-event", "o-1", "picked-up", "--payload", `"by DHL"`, "--server", server); err != nil {
		t.Fatal(err)
	}
	done := waitCLI(t, server, "o-1", "complete")
	if !strings.Contains(done, `Output    "by DHL"`) {
		t.Fatalf("describe:\n%s", done)
	}
	list, _, err := runCLI(t, "instances", "list", "--server", server)
	if err != nil || !strings.Contains(list, "o-1") || !strings.Contains(list, "complete") {
		t.Fatalf("list: %q %v", list, err)
	}
	js, _, err := runCLI(t, "instances", "list", "--json", "--status", "complete", "--server", server)
	if err != nil || !strings.Contains(js, `"id": "o-1"`) {
		t.Fatalf("list --json: %q %v", js, err)
	}
	if _, _, err := runCLI(t, "instances", "restart", "o-1", "--from-step", "pickup", "--server", server); err != nil {
		t.Fatal(err)
	}
	// The event the restarted step consumed is delivered to it again.
	waitCLI(t, server, "o-1", "complete")
	if _, _, err := runCLI(t, "instances", "create", "ship", "--id", "o-2", "--server", server); err != nil {
		t.Fatal(err)
	}
	waitCLI(t, server, "o-2", "waiting")
	if out, _, err := runCLI(t, "instances", "terminate", "o-2", "--server", server); err != nil || !strings.Contains(out, "terminated") {
		t.Fatalf("terminate: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "instances", "describe", "nope", "--server", server); err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Fatalf("describe unknown: %v", err)
	}
	if _, _, err := runCLI(t, "instances", "list", "--server", "http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("unreachable server: %v", err)
	}
}
