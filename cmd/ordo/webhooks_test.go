package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/webhook"
)

// startWebhooksAPI serves an engine on a memory store with the webhook
// routes and a dispatcher, and a workflow "ship" that completes at once.
func startWebhooksAPI(t *testing.T) (string, *ordo.Engine) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st := memory.New()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(ordo.NewWorkflow("ship", func(ctx context.Context, p map[string]any) (string, error) {
		return "shipped", nil
	})); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv, _ := api.New(api.Config{Engine: e, Logger: log})
	srv.WebhookRoutes(st, nil)
	d := &webhook.Dispatcher{Store: st, Logger: log, Poll: 10 * time.Millisecond}
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
		stop, cancelStop := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancelStop()
		_ = e.Stop(stop)
	})
	return hs.URL, e
}

// TestWebhooksCLI drives `ordo webhooks` against the API handler: a
// webhook is created, an instance's end is delivered to a real receiver,
// the delivery log shows the attempt, a redelivery sends it again, and
// the webhook is deleted.
func TestWebhooksCLI(t *testing.T) {
	server, e := startWebhooksAPI(t)
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
	}))
	t.Cleanup(recv.Close)
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--server", server)...)
		if err != nil {
			t.Fatalf("ordo %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	out := run("webhooks", "create", "erp", "--url", recv.URL+"/hooks", "--events", "instance.complete,order.status_changed")
	for _, w := range []string{"Webhook  erp", "instance.complete, order.status_changed", "Secret   whsec_"} {
		if !strings.Contains(out, w) {
			t.Errorf("create printed no %q:\n%s", w, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"webhooks", "list"}, []string{"erp", recv.URL + "/hooks", "instance.complete,order.status_changed"}},
		{[]string{"webhooks", "get", "erp"}, []string{"Webhook  erp", recv.URL}},
		{[]string{"webhooks", "deliveries", "erp"}, []string{"no deliveries yet"}},
	} {
		out := run(tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("ordo %s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
		if strings.Contains(out, "whsec_") {
			t.Errorf("ordo %s shows the secret:\n%s", strings.Join(tc.args, " "), out)
		}
	}

	if _, err := e.Create(t.Context(), "ship", nil, &ordo.CreateOptions{ID: "ship-1"}); err != nil {
		t.Fatal(err)
	}
	deliveries := func() []*store.WebhookDelivery {
		t.Helper()
		var page store.WebhookDeliveryPage
		if err := json.Unmarshal([]byte(run("webhooks", "deliveries", "erp", "--json")), &page); err != nil {
			t.Fatal(err)
		}
		return page.Deliveries
	}
	waitUntil(t, 30*time.Second, "the instance's end is delivered", func() bool {
		ds := deliveries()
		return len(ds) == 1 && ds[0].State == store.WebhookDelivered
	})
	out = run("webhooks", "deliveries", "erp")
	for _, w := range []string{"instance.complete", "ship-1", "delivered", "attempt 1", "200"} {
		if !strings.Contains(out, w) {
			t.Errorf("deliveries printed no %q:\n%s", w, out)
		}
	}
	id := strconv.FormatInt(deliveries()[0].ID, 10)
	if out = run("webhooks", "redeliver", "erp", id); !strings.Contains(out, "delivery "+id+" is pending") {
		t.Errorf("redeliver printed:\n%s", out)
	}
	waitUntil(t, 30*time.Second, "the redelivery is sent", func() bool {
		ds := deliveries()
		return got.Load() == 2 && ds[0].State == store.WebhookDelivered && len(ds[0].Attempts) == 2
	})

	for _, args := range [][]string{
		{"webhooks", "create", "bad", "--url", "ftp://x", "--events", "instance.complete"},
		{"webhooks", "create", "erp", "--url", recv.URL, "--events", "instance.complete"},
		{"webhooks", "create", "other", "--url", recv.URL, "--events", "nope"},
		{"webhooks", "get", "nope"},
		{"webhooks", "deliveries", "nope"},
		{"webhooks", "redeliver", "erp", "x"},
		{"webhooks", "redeliver", "erp", "999"},
	} {
		if _, _, err := runCLI(t, append(args, "--server", server)...); err == nil {
			t.Errorf("ordo %s: no error", strings.Join(args, " "))
		}
	}
	if out = run("webhooks", "delete", "erp"); !strings.Contains(out, "deleted erp") {
		t.Errorf("delete printed:\n%s", out)
	}
	if out = run("webhooks", "list"); strings.Contains(out, "erp") {
		t.Errorf("list after delete:\n%s", out)
	}
}
