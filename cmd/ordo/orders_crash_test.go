package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
)

// crashFlow generates the files, POSTs the order to /first, then to
// /second, then e-mails the customer.
func crashFlow(base string) string {
	return `[
	{"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "In production", "options": {}, "onSuccess": "first"},
	{"stepDefinitionId": "first", "type": "consume-rest-api", "successStatus": "Sent to ERP", "options": {"uri": "` + base + `/first"}, "onSuccess": "second"},
	{"stepDefinitionId": "second", "type": "consume-rest-api", "successStatus": "Sent to workshop", "options": {"uri": "` + base + `/second"}, "onSuccess": "email"},
	{"stepDefinitionId": "email", "type": "send-email", "successStatus": "Done",
	 "options": {"recipients": ["{{.Order.Customer.Email}}"], "subject": "Order {{.Order.ID}} is on its way", "message": "Thank you."}}
]`
}

// TestCrashMidFlow kills `ordo serve` with SIGKILL while a POST is in
// flight and starts it again on the same data directory: the flow
// finishes, the POST recorded as done is not sent again, and the one in
// flight is sent again with the same Idempotency-Key and body.
//
// It waits for the killed worker's lease to expire (2 s here), and starts
// processes, so -short skips it.
func TestCrashMidFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills ordo serve processes")
	}
	t.Parallel()
	var crashed atomic.Bool
	endpoint := ordertest.StartEndpoint(t, func(r *http.Request, req *ordertest.Request) (int, string) {
		if req.Path == "/second" && !crashed.Load() {
			<-r.Context().Done() // in flight until the server dies
			return http.StatusServiceUnavailable, `{}`
		}
		return http.StatusOK, `{"received":"` + req.Path + `"}`
	})
	mail := ordertest.StartMailServer(t, nil)

	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flows, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(flows, "crash.json"), []byte(crashFlow(endpoint.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	orderFile := filepath.Join(dir, "order.json")
	if err := os.WriteFile(orderFile, []byte(`{"id": "crash-1", "flow": "crash",
		"customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
		"items": [{"sku": "RING-7", "quantity": 1, "product": {"template": "ring", "parameters": {"size": 7}}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--data-dir", filepath.Join(dir, "data"), "--flows", flows,
		"--smtp-url", mail.URL(), "--mail-from", "Shop <shop@example.com>", "--signing-secret", "s3cret",
		"--lease-duration", "2s"}

	first := startServe(t, args...)
	if out, _, err := runCLI(t, "orders", "create", orderFile, "--server", first.URL); err != nil || !strings.Contains(out, "order crash-1 created") {
		t.Fatalf("orders create: %q, %v", out, err)
	}
	endpoint.WaitRequests(t, 2, 60*time.Second) // /first done, /second in flight
	first.kill()
	crashed.Store(true)

	second := startServe(t, args...)
	o := waitOrderFinished(t, second.URL, "crash-1")
	if err := second.stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}

	if o.InstanceStatus != ordo.StatusComplete || o.Status != "Done" {
		t.Fatalf("order ended %q (instance %s, error %+v), want Done", o.Status, o.InstanceStatus, o.Error)
	}
	var history []string
	for _, c := range o.StatusHistory {
		history = append(history, c.Status)
	}
	if diff := cmp.Diff([]string{"Created", "In production", "Sent to ERP", "Sent to workshop", "Done"}, history); diff != "" {
		t.Errorf("status history (-want +got):\n%s", diff)
	}
	var firsts, seconds []*ordertest.Request
	for _, r := range endpoint.Requests() {
		switch r.Path {
		case "/first":
			firsts = append(firsts, r)
		case "/second":
			seconds = append(seconds, r)
		}
	}
	if len(firsts) != 1 {
		t.Errorf("/first got %d POSTs; recorded as done before the crash, it must not be sent again", len(firsts))
	}
	if len(seconds) != 2 {
		t.Fatalf("/second got %d POSTs, want 2 (in flight at the crash, then resent)", len(seconds))
	}
	if seconds[0].IdempotencyKey != "crash-1/second#1" || seconds[1].IdempotencyKey != seconds[0].IdempotencyKey {
		t.Errorf("/second keys %q and %q, want crash-1/second#1 twice", seconds[0].IdempotencyKey, seconds[1].IdempotencyKey)
	}
	if string(seconds[0].Body) != string(seconds[1].Body) {
		t.Errorf("the resent POST has another body:\n%s\n%s", seconds[0].Body, seconds[1].Body)
	}
	if msgs := mail.Messages(); len(msgs) != 1 || msgs[0].Subject != "Order crash-1 is on its way" {
		t.Errorf("e-mails: %d, want the one confirmation", len(msgs))
	}
	if len(o.Files) != 1 {
		t.Errorf("files: %+v, want the ring's", o.Files)
	}
}

// waitOrderFinished polls `ordo orders get ID --json` on server until the
// order's instance has finished (2 minutes at most) and returns the order.
func waitOrderFinished(t *testing.T, server, id string) order.Order {
	t.Helper()
	var o order.Order
	waitUntil(t, 120*time.Second, "order "+id+" finishes after the restart", func() bool {
		out, _, err := runCLI(t, "orders", "get", id, "--json", "--server", server)
		if err != nil {
			t.Fatalf("orders get: %v", err)
		}
		o = order.Order{}
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("orders get --json: %v\n%s", err, out)
		}
		return o.InstanceStatus.Terminal()
	})
	return o
}
