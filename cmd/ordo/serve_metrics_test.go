package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo/metrics/metricstest"
	"github.com/ordohq/ordo/order/ordertest"
)

// TestServeMetricsAfterSeedFlow runs the seed's order flow on a real
// `ordo serve` with API keys: the shop endpoint answers the first POST of
// order A-1001 with 503, so its consume step is retried, and refuses order
// A-1002 with 422, which fails the step for good, so the flow's error step
// e-mails and the order ends Failed. GET /metrics
// then counts exactly what the run did, passes `promtool check metrics`,
// and answers 401 without a key.
func TestServeMetricsAfterSeedFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ordo serve")
	}
	t.Parallel()
	var calls atomic.Int32
	endpoint := ordertest.StartEndpoint(t, func(_ *http.Request, req *ordertest.Request) (int, string) {
		switch {
		case strings.HasPrefix(req.IdempotencyKey, "A-1002/"):
			return http.StatusUnprocessableEntity, `{"error":"unknown customer"}`
		case strings.HasPrefix(req.IdempotencyKey, "A-1001/") && calls.Add(1) == 1:
			return http.StatusServiceUnavailable, `{"error":"busy"}`
		}
		return http.StatusOK, `{"ok":true}`
	})
	mail := ordertest.StartMailServer(t, nil)
	flows := t.TempDir()
	seed, err := os.ReadFile("../../examples/orderflow/flow.json")
	if err != nil {
		t.Fatal(err)
	}
	seed = bytes.Replace(seed, []byte(`"uri": "https://httpbin.org/anything"`),
		[]byte(`"uri": "`+endpoint.URL+`/orders"`+`}, "retries": {"limit": 2, "delay": 1000`), 1)
	if err := os.WriteFile(filepath.Join(flows, "seed.json"), seed, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServeEnv(t, []string{"ORDO_API_KEY=" + testKey}, "--data-dir", t.TempDir(), "--flows", flows,
		"--smtp-url", mail.URL(), "--mail-from", "shop@example.com")
	get := func(path, key string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		return resp.StatusCode, string(b)
	}

	ring, err := os.ReadFile("../../examples/orderflow/orders/ring.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"ring.json": bytes.Replace(ring, []byte(`"flow": "local"`), []byte(`"flow": "seed"`), 1),
		"gift.json": []byte(`{"id": "A-1002", "flow": "seed", "customer": {"name": "Grace Hopper", "email": "grace@example.com"},
			"items": [{"sku": "GIFT-WRAP", "quantity": 1}]}`),
	} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, errOut, err := runCLI(t, "orders", "create", path, "--server", srv.URL, "--api-key", testKey); err != nil {
			t.Fatalf("orders create %s: %v\n%s%s", name, err, out, errOut)
		}
	}
	waitUntil(t, 60*time.Second, "both orders finish", func() bool {
		_, body := get("/v1/orders/A-1001", testKey)
		_, bad := get("/v1/orders/A-1002", testKey)
		return strings.Contains(body, `"status":"Success"`) && strings.Contains(bad, `"status":"Failed"`)
	})

	if code, body := get("/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without a key: %d %.200s, want 401", code, body)
	}
	code, text := get("/metrics", testKey)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %.300s", code, text)
	}
	metricstest.Promtool(t, text)
	fams := metricstest.Parse(t, text)
	const wf = "flow/seed"
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"ordo_instances_started_total", []string{"workflow", wf}, 2},
		{"ordo_instances_finished_total", []string{"workflow", wf, "status", "complete"}, 2},
		// Two first claims, and the claim of A-1001 for its retry (the
		// 1 s delay suspends it rather than waiting in the run).
		{"ordo_instance_schedule_to_start_seconds", []string{"workflow", wf}, 3},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "generate", "outcome", "success"}, 2},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "consume", "outcome", "retryable_error"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "consume", "outcome", "non_retryable_error"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "consume", "outcome", "success"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "email", "outcome", "success"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "error", "outcome", "success"}, 1},
		{"ordo_step_attempt_duration_seconds", []string{"workflow", wf, "step", "consume"}, 3},
		{"ordo_lease_losses_total", nil, 0},
		{"ordo_lease_takeovers_total", nil, 0},
		{"ordo_instances", []string{"status", "running"}, 0},
		{"ordo_instances", []string{"status", "queued"}, 0},
		{"ordo_instances_oldest_due_age_seconds", nil, 0},
	} {
		if got := fams.Value(t, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%q = %v, want %v; series %s", tc.name, tc.labels, got, tc.want, fams.Describe(tc.name))
		}
	}
}
