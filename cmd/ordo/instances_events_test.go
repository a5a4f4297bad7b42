package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestInstancesEventsCommand: `ordo instances events` pages an instance's
// events like every other list, and a finished instance's refusal reads
// as the caller's error.
func TestInstancesEventsCommand(t *testing.T) {
	server := startAPI(t)
	if _, _, err := runCLI(t, "instances", "create", "ship", "--id", "e-1", "--params", `{"order": "7"}`, "--server", server); err != nil {
		t.Fatal(err)
	}
	waitCLI(t, server, "e-1", "waiting")
	for _, p := range []string{`{"n":1}`, `{"n":2}`} {
		if _, _, err := runCLI(t, "instances", "send-event", "e-1", "note", "--payload", p, "--server", server); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := runCLI(t, "instances", "events", "e-1", "--limit", "1", "--server", server)
	if err != nil || !strings.Contains(out, `{"n":1}`) || strings.Contains(out, `{"n":2}`) {
		t.Fatalf("events page 1: %q %v", out, err)
	}
	m := regexp.MustCompile(`more: --cursor (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("events page 1 has no cursor:\n%s", out)
	}
	out, _, err = runCLI(t, "instances", "events", "e-1", "--limit", "1", "--cursor", m[1], "--server", server)
	if err != nil || !strings.Contains(out, `{"n":2}`) || strings.Contains(out, "more:") {
		t.Fatalf("events page 2: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "instances", "events", "e-1", "--cursor", "forged", "--server", server); err == nil || !strings.Contains(err.Error(), "invalid_argument") {
		t.Fatalf("forged cursor: %v", err)
	}
	if _, _, err := runCLI(t, "instances", "terminate", "e-1", "--server", server); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(t, "instances", "send-event", "e-1", "note", "--server", server)
	if err == nil || !strings.Contains(err.Error(), `instance "e-1" is terminated: a finished instance accepts no events`) || strings.Contains(err.Error(), "ordo:") {
		t.Fatalf("event to a terminated instance: %v", err)
	}
}
