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
	"github.com/ordohq/ordo/store/memory"
)

// TestInstancesConcurrencyWait: describe, and the API's instance JSON,
// show an instance waiting for its workflow's concurrency slot, and what
// for, without touching its custom status.
func TestInstancesConcurrencyWait(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	type payment struct {
		Customer string `json:"customer"`
	}
	hold := make(chan struct{})
	charging := make(chan struct{}, 2) // a run holds the slot once its charge runs
	wf := ordo.NewWorkflow("payment", func(ctx context.Context, p payment) (string, error) {
		return ordo.Do(ctx, "charge", nil, func(ctx context.Context) (string, error) {
			charging <- struct{}{}
			select {
			case <-hold:
			case <-ctx.Done():
			}
			return "ok", nil
		})
	}).WithConcurrency(ordo.Concurrency[payment]{Key: func(p payment) string { return p.Customer }, Limit: 1})
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, LimitRecheck: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(wf); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, _ := api.New(api.Config{Engine: e, Logger: log})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		close(hold)
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	for _, id := range []string{"pay-1", "pay-2"} {
		if _, err := wf.Create(t.Context(), e, payment{Customer: "customer-42"}, &ordo.CreateOptions{ID: id}); err != nil {
			t.Fatal(err)
		}
		if id == "pay-1" {
			// Running is set at the claim, before the slot is taken: only
			// the charge running shows pay-1 holds it, so pay-2 must wait.
			select {
			case <-charging:
			case <-time.After(20 * time.Second):
				t.Fatal("pay-1 never started its charge")
			}
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			in, err := e.Get(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if id == "pay-1" && in.Status == ordo.StatusRunning && len(in.Steps) == 0 || id == "pay-2" && in.Status == ordo.StatusWaiting {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is %s", id, in.Status)
			}
			time.Sleep(5 * time.Millisecond) // the engine runs on other goroutines
		}
	}
	out, _, err := runCLI(t, "instances", "describe", "pay-2", "--server", hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Status    waiting",
		"Waits     waiting for concurrency slot: workflow payment, key customer-42 (1 at once), since",
		"concurrency:wait  concurrency  waiting",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Custom ") {
		t.Errorf("describe shows a custom status; the wait must not set one:\n%s", out)
	}
	out, _, err = runCLI(t, "instances", "describe", "pay-2", "--server", hs.URL, "--json")
	if err != nil || !strings.Contains(strings.ReplaceAll(out, " ", ""), `"kind":"concurrency"`) {
		t.Errorf("describe --json lacks the wait's journal entry (%v):\n%s", err, out)
	}
}
