package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store/memory"
)

// TestInstancesCancelCommands: `ordo instances cancel` rolls an instance
// back; a compensation that failed is shown with the commands that finish
// it, and `ordo instances compensation retry ID STEP` runs it again.
func TestInstancesCancelCommands(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var refundDown atomic.Bool
	refundDown.Store(true)
	wf := ordo.NewWorkflow("book", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.DoWithCompensation(ctx, "charge", &ordo.StepOptions{Retries: ordo.NoRetries},
			func(ctx context.Context) (string, string, error) { return "ch_1", "ch_1", nil },
			func(ctx context.Context, charge string) error {
				if refundDown.Load() {
					return errors.New("processor unavailable")
				}
				return nil
			}); err != nil {
			return "", err
		}
		return ordo.WaitForEvent[string](ctx, "pickup", "picked-up", time.Hour)
	})
	if err := e.Register(wf); err != nil {
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

	if _, _, err := runCLI(t, "instances", "create", "book", "--id", "b-1", "--server", server); err != nil {
		t.Fatal(err)
	}
	waitCLI(t, server, "b-1", "waiting")
	out, _, err := runCLI(t, "instances", "cancel", "b-1", "--reason", "duplicate order", "--server", server)
	if err != nil || !strings.Contains(out, "b-1: queued") {
		t.Fatalf("cancel: %q %v", out, err)
	}
	desc := waitCLI(t, server, "b-1", "cancelled")
	for _, want := range []string{"cancelled: duplicate order", "compensation failed: compensation of step \"charge\": processor unavailable",
		"ordo instances compensation retry|done|skip"} {
		if !strings.Contains(desc, want) {
			t.Errorf("describe lacks %q:\n%s", want, desc)
		}
	}
	if _, _, err := runCLI(t, "instances", "cancel", "b-1", "--server", server); err == nil || !strings.Contains(err.Error(), "invalid_transition") {
		t.Errorf("second cancel: %v", err)
	}
	refundDown.Store(false)
	out, _, err = runCLI(t, "instances", "compensation", "retry", "b-1", "charge", "--reason", "processor is back", "--server", server)
	if err != nil || !strings.Contains(out, "b-1: queued") {
		t.Fatalf("compensation retry: %q %v", out, err)
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(desc, "compensation retried by local") {
		if time.Now().After(deadline) {
			t.Fatalf("the retry did not finish:\n%s", desc)
		}
		time.Sleep(10 * time.Millisecond)
		desc = waitCLI(t, server, "b-1", "cancelled")
	}
	if strings.Contains(desc, "compensation failed") || !strings.Contains(desc, "processor is back") {
		t.Errorf("describe after the retry:\n%s", desc)
	}
	if _, _, err := runCLI(t, "instances", "compensation", "skip", "b-1", "charge#1", "--server", server); err == nil || !strings.Contains(err.Error(), "invalid_transition") {
		t.Errorf("skip of a completed compensation: %v", err)
	}
}
