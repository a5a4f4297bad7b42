package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo/webhook"
)

// TestWebhooksSurviveKill: an order's status changes commit while the
// webhook receiver is down, `ordo serve` is killed with SIGKILL before any
// delivery succeeds, and the server started again on the same data
// directory delivers every change, in order, each signature valid.
func TestWebhooksSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills ordo serve processes")
	}
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	var (
		up       atomic.Bool
		mu       sync.Mutex
		tries    int
		seen     = map[string]bool{}
		statuses []string
		bad      []string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/erp" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true}`)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		tries++
		if err := webhook.Verify(key, r.Header, body, 0, time.Now()); err != nil {
			bad = append(bad, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var m struct {
			Data struct {
				CustomStatus string `json:"customStatus"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &m)
		if id := r.Header.Get(webhook.HeaderID); !seen[id] {
			seen[id] = true
			statuses = append(statuses, m.Data.CustomStatus)
		}
	}))
	t.Cleanup(recv.Close)

	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flows, 0o755); err != nil {
		t.Fatal(err)
	}
	flow := `[
	{"stepDefinitionId": "first", "type": "consume-rest-api", "successStatus": "Sent to ERP", "options": {"uri": "` + recv.URL + `/erp"}, "onSuccess": "second"},
	{"stepDefinitionId": "second", "type": "consume-rest-api", "successStatus": "Done", "options": {"uri": "` + recv.URL + `/erp"}}
]`
	if err := os.WriteFile(filepath.Join(flows, "hooks.json"), []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	orderFile := filepath.Join(dir, "order.json")
	if err := os.WriteFile(orderFile, []byte(`{"id": "hook-1", "flow": "hooks",
		"customer": {"name": "Ada Lovelace", "email": "ada@example.com"}, "items": [{"sku": "RING-7", "quantity": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--data-dir", filepath.Join(dir, "data"), "--flows", flows, "--lease-duration", "2s"}

	first := startServe(t, args...)
	resp, err := http.Post(first.URL+"/v1/webhooks", "application/json", strings.NewReader(
		`{"id": "shop", "url": "`+recv.URL+`/hooks", "events": ["order.status_changed"], "secret": "`+secret+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks = %d %s", resp.StatusCode, b)
	}
	if out, _, err := runCLI(t, "orders", "create", orderFile, "--server", first.URL); err != nil || !strings.Contains(out, "created") {
		t.Fatalf("orders create: %q, %v", out, err)
	}
	waitUntil(t, 60*time.Second, "the order is done and its first notification was refused", func() bool {
		out, _, _ := runCLI(t, "orders", "get", "hook-1", "--json", "--server", first.URL)
		var o struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal([]byte(out), &o)
		mu.Lock()
		defer mu.Unlock()
		return o.Status == "Done" && tries > 0
	})
	first.kill()
	up.Store(true)

	second := startServe(t, args...)
	waitUntil(t, 120*time.Second, "every status change is delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(statuses, "Done")
	})
	if err := second.stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("%d requests failed verification, first: %s", len(bad), bad[0])
	}
	t.Logf("delivered after the restart: %q", statuses)
	if i := slices.Index(statuses, "Sent to ERP"); i < 0 || statuses[len(statuses)-1] != "Done" || i > len(statuses)-2 {
		t.Errorf("receiver got %q, want ... Sent to ERP, Done in order", statuses)
	}
}
