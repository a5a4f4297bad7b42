package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store/memory"
)

// startEventsAPI serves an engine whose workflow "label" is started by
// order.placed events with a total over 100.
func startEventsAPI(t *testing.T) (string, *ordo.Engine) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wf := ordo.NewWorkflow("label", func(ctx context.Context, p map[string]any) (string, error) {
		return "labelled", nil
	}).On("order.placed", ordo.If("payload.total > 100"))
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
	return hs.URL, e
}

func TestEventsCLI(t *testing.T) {
	server, e := startEventsAPI(t)
	payload := filepath.Join(t.TempDir(), "small.json")
	if err := os.WriteFile(payload, []byte(`{"total": 20}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"events", "publish", "order.placed", "--id", "e1", "--payload", `{"total": 150.5}`},
			[]string{"event e1 published", "label:order.placed", "started", "label:order.placed:e1"}},
		{[]string{"events", "publish", "order.placed", "--id", "e1", "--payload", `{"total": 1}`},
			[]string{"published already", "started"}},
		{[]string{"events", "publish", "order.placed", "--id", "e2", "--payload", "@" + payload},
			[]string{"event e2 published", "filtered"}},
		{[]string{"events", "list", "--type", "order.placed"}, []string{"e1", "e2", `{"total":20}`}},
		{[]string{"events", "get", "e2"}, []string{"event e2 (order.placed)", "filtered"}},
		{[]string{"events", "replay", "label:order.placed"}, []string{"2 events read, 0 delivered, 2 delivered before"}},
	} {
		out, errOut, err := runCLI(t, append(tc.args, "--server", server)...)
		if err != nil {
			t.Fatalf("ordo %s: %v\n%s", strings.Join(tc.args, " "), err, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("ordo %s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
	if inst, err := e.Wait(t.Context(), "label:order.placed:e1"); err != nil || string(inst.Output) != `"labelled"` {
		t.Errorf("instance = %+v, %v", inst, err)
	}
	for _, args := range [][]string{
		{"events", "publish", "order.placed", "--payload", "{"},
		{"events", "get", "nope"},
		{"events", "replay", "nope"},
	} {
		if _, _, err := runCLI(t, append(args, "--server", server)...); err == nil {
			t.Errorf("ordo %s: no error", strings.Join(args, " "))
		}
	}
}
