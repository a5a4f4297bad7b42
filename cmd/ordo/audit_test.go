package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// TestAuditCommands: actions taken with the CLI, with their reasons, are
// listed by `ordo audit` with its filters and by `ordo instances audit`.
func TestAuditCommands(t *testing.T) {
	server := startAPI(t)
	if _, _, err := runCLI(t, "instances", "create", "ship", "--id", "a-1", "--params", `{"order": "1"}`, "--server", server); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "instances", "create", "ship", "--id", "a-2", "--params", `{"order": "2"}`, "--server", server); err != nil {
		t.Fatal(err)
	}
	waitCLI(t, server, "a-1", "waiting")
	for _, args := range [][]string{
		{"instances", "pause", "a-1", "--reason", "customer called about the address"},
		{"instances", "resume", "a-1"},
		{"instances", "terminate", "a-2", "--reason", "duplicate order"},
		{"instances", "restart", "a-2", "--from-step", "label", "--reason", "not a duplicate after all"},
	} {
		if _, _, err := runCLI(t, append(args, "--server", server)...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	out, _, err := runCLI(t, "audit", "--server", server)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "TIME") {
		t.Fatalf("ordo audit: want a header and 4 entries:\n%s", out)
	}
	for i, want := range []string{"local  restart    a-2  not a duplicate after all", "local  terminate  a-2  duplicate order",
		"local  resume     a-1  -", "local  pause      a-1  customer called about the address"} {
		if !strings.Contains(lines[i+1], want) {
			t.Errorf("ordo audit line %d: %q, want it to hold %q", i+1, lines[i+1], want)
		}
	}

	out, _, err = runCLI(t, "audit", "--action", "terminate", "--since", "1h", "--json", "--server", server)
	if err != nil {
		t.Fatal(err)
	}
	var page store.ActionPage
	if err := json.Unmarshal([]byte(out), &page); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(page.Actions) != 1 || page.Actions[0].InstanceID != "a-2" || page.Actions[0].Actor != "local" {
		t.Errorf("ordo audit --action terminate: %s", out)
	}
	out, _, err = runCLI(t, "audit", "--until", time.Now().Add(-time.Hour).Format(time.RFC3339), "--actor", "local", "--server", server)
	if err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("ordo audit --until an hour ago: %v\n%s, want only the header", err, out)
	}
	out, _, err = runCLI(t, "instances", "audit", "a-1", "--server", server)
	if err != nil || strings.Count(strings.TrimSpace(out), "\n") != 2 || strings.Contains(out, "a-2") {
		t.Errorf("ordo instances audit a-1: %v\n%s, want its pause and resume", err, out)
	}
	if _, _, err := runCLI(t, "audit", "--since", "yesterday", "--server", server); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Errorf("ordo audit --since yesterday: %v, want an error naming --since", err)
	}
	// This server has no order routes.
	if _, _, err := runCLI(t, "orders", "audit", "a-1", "--server", server); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("ordo orders audit: %v, want a 404", err)
	}
}
