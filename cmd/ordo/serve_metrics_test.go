package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo/metrics/metricstest"
	"github.com/ordohq/ordo/order/ordertest"
)

// TestServeMetricsAfterSeedFlow runs the seed's order flow on a real
// `ordo serve` with API keys. The shop endpoint answers the first POST of
// order A-1001 with 503, so its consume step is retried, and refuses order
// A-1002 with 422, which fails the step for good, so the flow's error step
// e-mails and the order ends Failed; a schedule's trigger starts a third
// order; a webhook receives each instance's completion. GET /metrics then
// counts exactly what the run did, passes `promtool check metrics`, and
// answers 401 without a key.
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
	hooks := ordertest.StartEndpoint(t, nil)
	mail := ordertest.StartMailServer(t, nil)
	flows := t.TempDir()
	seed, err := os.ReadFile("../../examples/orderflow/flow.json")
	if err != nil {
		t.Fatal(err)
	}
	// The 1 s retry delay suspends the retried instance (it is claimed
	// again) rather than waiting in the run.
	seed = bytes.Replace(seed, []byte(`"uri": "https://httpbin.org/anything"`),
		[]byte(`"uri": "`+endpoint.URL+`/orders"`+`}, "retries": {"limit": 2, "delay": 1000`), 1)
	if err := os.WriteFile(filepath.Join(flows, "seed.json"), seed, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServeEnv(t, []string{"ORDO_API_KEY=" + testKey}, "--data-dir", t.TempDir(), "--flows", flows,
		"--smtp-url", mail.URL(), "--mail-from", "shop@example.com")
	call := func(method, path, key, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		return resp.StatusCode, string(b)
	}
	mustCall := func(want int, method, path, body string) string {
		t.Helper()
		code, got := call(method, path, testKey, body)
		if code != want {
			t.Fatalf("%s %s: %d %.300s, want %d", method, path, code, got, want)
		}
		return got
	}

	mustCall(http.StatusCreated, "POST", "/v1/webhooks", `{"id": "shop", "url": "`+hooks.URL+`/hooks", "events": ["instance.complete"]}`)
	ring, err := os.ReadFile("../../examples/orderflow/orders/ring.json")
	if err != nil {
		t.Fatal(err)
	}
	mustCall(http.StatusCreated, "POST", "/v1/orders", string(bytes.Replace(ring, []byte(`"flow": "local"`), []byte(`"flow": "seed"`), 1)))
	const gift = `"customer": {"name": "Grace Hopper", "email": "grace@example.com"}, "items": [{"sku": "GIFT-WRAP", "quantity": 1}]`
	mustCall(http.StatusCreated, "POST", "/v1/orders", `{"id": "A-1002", "flow": "seed", `+gift+`}`)
	mustCall(http.StatusCreated, "POST", "/v1/schedules", `{"id": "weekly-gift", "cron": "0 2 * * 1", "flow": "seed", "order": {`+gift+`}}`)
	var fire struct{ InstanceID, Outcome string }
	if err := json.Unmarshal([]byte(mustCall(http.StatusOK, "POST", "/v1/schedules/weekly-gift/trigger", "")), &fire); err != nil || fire.Outcome != "started" {
		t.Fatalf("trigger: %+v %v", fire, err)
	}
	// An order's status is set by its last step; its instance completes
	// after: wait for both, so the first scrape sees nothing running.
	waitUntil(t, 60*time.Second, "the three orders finish", func() bool {
		for id, status := range map[string]string{"A-1001": "Success", "A-1002": "Failed", fire.InstanceID: "Success"} {
			_, o := call("GET", "/v1/orders/"+id, testKey, "")
			_, in := call("GET", "/v1/instances/"+id, testKey, "")
			if !strings.Contains(o, `"status":"`+status+`"`) || !strings.Contains(in, `"status":"complete"`) {
				return false
			}
		}
		return true
	})

	if code, body := call("GET", "/metrics", "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without a key: %d %.200s, want 401", code, body)
	}
	var (
		text string
		fams metricstest.Families
	)
	// The dispatcher records a delivery after its POST, and an engine
	// counts a finish after its commit: wait for the third of each.
	waitUntil(t, 60*time.Second, "the three deliveries and finishes are counted", func() bool {
		text = mustCall(http.StatusOK, "GET", "/metrics", "")
		fams = metricstest.Parse(t, text)
		return fams.Value(t, "ordo_webhook_delivery_attempts_total", "webhook", "shop", "outcome", "delivered") >= 3 &&
			fams.Value(t, "ordo_instances_finished_total", "workflow", "flow/seed", "status", "complete") >= 3
	})
	metricstest.Promtool(t, text)
	const wf = "flow/seed"
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"ordo_instances_started_total", []string{"workflow", wf}, 3},
		{"ordo_instances_finished_total", []string{"workflow", wf, "status", "complete"}, 3},
		// Three first claims, and the claim of A-1001 for its retry.
		{"ordo_instance_schedule_to_start_seconds", []string{"workflow", wf}, 4},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "generate", "outcome", "success"}, 3},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "consume", "outcome", "retryable_error"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "consume", "outcome", "non_retryable_error"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "consume", "outcome", "success"}, 2},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "email", "outcome", "success"}, 2},
		{"ordo_step_attempts_total", []string{"workflow", wf, "step", "error", "outcome", "success"}, 1},
		{"ordo_step_attempt_duration_seconds", []string{"workflow", wf, "step", "consume"}, 4},
		{"ordo_lease_losses_total", nil, 0},
		{"ordo_lease_takeovers_total", nil, 0},
		{"ordo_commit_errors_total", nil, 0},
		{"ordo_schedule_fires_total", []string{"schedule", "weekly-gift", "outcome", "started"}, 1},
		{"ordo_webhook_delivery_attempts_total", []string{"webhook", "shop", "outcome", "delivered"}, 3},
		{"ordo_webhook_delivery_attempts_total", []string{"outcome", "retrying"}, 0},
		{"ordo_instances", []string{"status", "running"}, 0},
		{"ordo_instances", []string{"status", "queued"}, 0},
		{"ordo_instances_oldest_due_age_seconds", nil, 0},
		{"ordo_db_pool_max_connections", []string{"pool", "write"}, 1},
	} {
		if got := fams.Value(t, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%q = %v, want %v; series %s", tc.name, tc.labels, got, tc.want, fams.Describe(tc.name))
		}
	}
}

// TestServeMetricsAddr: --metrics-addr serves /metrics without a key
// while the API needs one, answers only loopback Host names when bound to
// loopback, and serves nothing else.
func TestServeMetricsAddr(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ordo serve")
	}
	t.Parallel()
	srv := startServeEnv(t, []string{"ORDO_API_KEY=" + testKey}, "--data-dir", t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	re := regexp.MustCompile(`msg="ordo: serving metrics" addr=(\S+)`)
	var addr string
	waitUntil(t, 60*time.Second, "the metrics listener reports its address", func() bool {
		if m := re.FindStringSubmatch(srv.logs.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	get := func(url, host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		url, host string
		want      int
		body      string
	}{
		{"http://" + addr + "/metrics", "", http.StatusOK, "# TYPE ordo_commit_errors_total counter"},
		{"http://" + addr + "/metrics", "localhost:9464", http.StatusOK, "ordo_instances{status=\"queued\"} 0"},
		{"http://" + addr + "/metrics", "metrics.attacker.example", http.StatusMisdirectedRequest, "loopback"},
		{"http://" + addr + "/v1/instances", "", http.StatusNotFound, ""},
		{srv.URL + "/metrics", "", http.StatusUnauthorized, ""},
	} {
		code, body := get(tc.url, tc.host)
		if code != tc.want || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s (Host %q): %d %.200s, want %d with %q", tc.url, tc.host, code, body, tc.want, tc.body)
		}
	}
}

func TestMetricsAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{":9464": "127.0.0.1:9464", "0.0.0.0:9464": "0.0.0.0:9464",
		"[::1]:9464": "[::1]:9464", "9464": "", "": ""} {
		got, err := metricsAddr(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("metricsAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
