package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store/memory"
)

// TestInstancesPurgeCommand: `instances purge` counts without --yes and
// changes nothing, deletes with it, and leaves unfinished instances and
// those inside the period alone; `instances delete` refuses an unfinished
// instance.
func TestInstancesPurgeCommand(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	clock := ordotest.NewClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	quick := ordo.NewWorkflow("quick", func(context.Context, struct{}) (string, error) { return "ok", nil })
	nap := ordo.NewWorkflow("nap", func(ctx context.Context, _ struct{}) (string, error) {
		return "", ordo.Sleep(ctx, "nap", 1000*24*time.Hour)
	})
	if err := e.Register(quick, nap); err != nil {
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
	server := hs.URL
	for _, c := range []struct{ wf, id, status string }{{"quick", "q1", "complete"}, {"quick", "q2", "complete"}, {"nap", "n1", "waiting"}} {
		if _, _, err := runCLI(t, "instances", "create", c.wf, "--id", c.id, "--server", server); err != nil {
			t.Fatal(err)
		}
		waitCLI(t, server, c.id, c.status)
	}
	clock.Advance(8 * 24 * time.Hour)
	if _, _, err := runCLI(t, "instances", "create", "quick", "--id", "q3", "--server", server); err != nil {
		t.Fatal(err)
	}
	waitCLI(t, server, "q3", "complete")

	out, _, err := runCLI(t, "instances", "purge", "--older-than", "7d", "--status", "complete", "--server", server)
	if err != nil || !strings.Contains(out, "2 finished instances") || !strings.Contains(out, "--yes") {
		t.Fatalf("dry run: %q %v", out, err)
	}
	for _, id := range []string{"q1", "q2", "q3", "n1"} {
		if _, _, err := runCLI(t, "instances", "describe", id, "--server", server); err != nil {
			t.Errorf("after the dry run, describe %s: %v", id, err)
		}
	}
	out, _, err = runCLI(t, "instances", "purge", "--older-than", "7d", "--status", "complete", "--yes", "--server", server)
	if err != nil || !strings.Contains(out, "deleted 2 finished instances") {
		t.Fatalf("purge --yes: %q %v", out, err)
	}
	for id, gone := range map[string]bool{"q1": true, "q2": true, "q3": false, "n1": false} {
		_, _, err := runCLI(t, "instances", "describe", id, "--server", server)
		if (err != nil) != gone || (gone && !strings.Contains(err.Error(), "not_found")) {
			t.Errorf("after the purge, describe %s: %v (want gone %v)", id, err, gone)
		}
	}
	if _, _, err := runCLI(t, "instances", "delete", "n1", "--server", server); err == nil || !strings.Contains(err.Error(), "not_finished") {
		t.Errorf("delete of a waiting instance: %v; want not_finished", err)
	}
	if out, _, err := runCLI(t, "instances", "delete", "q3", "--server", server); err != nil || !strings.Contains(out, "deleted q3") {
		t.Errorf("delete q3: %q %v", out, err)
	}
	for _, bad := range []string{"0", "soon", "-1d"} {
		if _, _, err := runCLI(t, "instances", "purge", "--older-than", bad, "--server", server); err == nil {
			t.Errorf("purge --older-than %s: no error", bad)
		}
	}
}
