package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// cancelCrashFlow POSTs the order to /a, /b and /c, each undone by a POST
// to /undo-a, /undo-b, /undo-c, then to /wait, where it is cancelled.
func cancelCrashFlow(base string) string {
	step := func(id, next string) string {
		s := `{"stepDefinitionId": "` + id + `", "type": "consume-rest-api", "successStatus": "Done ` + id + `",
		 "options": {"uri": "` + base + `/` + id + `"}`
		if next != "" {
			s += `, "onSuccess": "` + next + `", "onCompensate": "undo-` + id + `"`
		}
		return s + `}`
	}
	undo := func(id string) string {
		return `{"stepDefinitionId": "undo-` + id + `", "type": "consume-rest-api", "successStatus": "unused",
		 "options": {"uri": "` + base + `/undo-` + id + `"}, "retries": {"limit": 3, "delay": "100ms", "backoff": "constant"}}`
	}
	return `{"cancelStatus": "Cancelled by the shop", "steps": [` +
		strings.Join([]string{step("a", "b"), step("b", "c"), step("c", "wait"), step("wait", ""),
			undo("a"), undo("b"), undo("c")}, ",\n") + `]}`
}

// TestCancelCrashMidCompensation cancels an order with `ordo orders
// cancel`, kills `ordo serve` with SIGKILL while the second of its three
// compensations is in flight, and starts it again on the same data
// directory: the restarted server finishes the rollback in reverse order.
// The compensation recorded before the crash is not sent again, the one
// in flight is sent again with the same Idempotency-Key, and the last runs
// once; the order ends with the flow's cancelStatus. On SQLite and on
// PostgreSQL (--postgres).
func TestCancelCrashMidCompensation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills ordo serve processes")
	}
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		cancelCrash(t, []string{"--data-dir", filepath.Join(t.TempDir(), "data")})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url, _ := pgtest.Schema(t)
		cancelCrash(t, []string{"--postgres", url})
	})
}

func cancelCrash(t *testing.T, storeArgs []string) {
	var crashed atomic.Bool
	endpoint := ordertest.StartEndpoint(t, func(r *http.Request, req *ordertest.Request) (int, string) {
		switch {
		case req.Path == "/wait",
			req.Path == "/undo-b" && !crashed.Load():
			<-r.Context().Done() // in flight until cancelled, or the server dies
			return http.StatusServiceUnavailable, `{}`
		}
		return http.StatusOK, `{"received":"` + req.Path + `"}`
	})

	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flows, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(flows, "undo.json"), []byte(cancelCrashFlow(endpoint.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	orderFile := filepath.Join(dir, "order.json")
	if err := os.WriteFile(orderFile, []byte(`{"id": "cancel-1", "flow": "undo",
		"customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
		"items": [{"sku": "GIFT-CARD", "quantity": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--flows", flows, "--signing-secret", "s3cret", "--lease-duration", "2s"}, storeArgs...)

	first := startServe(t, args...)
	if out, _, err := runCLI(t, "orders", "create", orderFile, "--server", first.URL); err != nil || !strings.Contains(out, "order cancel-1 created") {
		t.Fatalf("orders create: %q, %v", out, err)
	}
	endpoint.WaitRequests(t, 4, 60*time.Second) // /a /b /c done, /wait in flight
	out, _, err := runCLI(t, "orders", "cancel", "cancel-1", "--reason", "out of stock", "--server", first.URL)
	if err != nil || !strings.Contains(out, "cancel-1: cancelling") {
		t.Fatalf("orders cancel: %q, %v", out, err)
	}
	endpoint.WaitRequests(t, 6, 60*time.Second) // /undo-c done, /undo-b in flight
	first.kill()
	crashed.Store(true)

	second := startServe(t, args...)
	o := waitOrderFinished(t, second.URL, "cancel-1")
	if err := second.stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}

	if o.InstanceStatus != ordo.StatusCancelled || o.Status != "Cancelled by the shop" || o.Error == nil ||
		o.Error.Kind != store.ErrorKindCancelled || !strings.Contains(o.Error.Message, "out of stock") {
		t.Fatalf("order ended %q (instance %s, error %+v), want cancelled", o.Status, o.InstanceStatus, o.Error)
	}
	var paths []string
	keys := map[string][]string{}
	for _, r := range endpoint.Requests() {
		paths = append(paths, r.Path)
		keys[r.Path] = append(keys[r.Path], r.IdempotencyKey)
	}
	want := []string{"/a", "/b", "/c", "/wait", "/undo-c", "/undo-b", "/undo-b", "/undo-a"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Fatalf("requests (-want +got):\n%s", diff)
	}
	if k := keys["/undo-b"]; k[0] != "cancel-1/b#1/compensate" || k[1] != k[0] {
		t.Errorf("/undo-b keys %q, want cancel-1/b#1/compensate twice", k)
	}
	for _, key := range []string{"a#1", "b#1", "c#1"} {
		var st *ordo.StepRecord
		for _, s := range o.Steps {
			if s.Key == key {
				st = s
			}
		}
		if st == nil || st.CompensationStatus != store.CompCompleted || st.CompensationAttempts != 1 {
			t.Errorf("step %s: %+v, want its compensation completed in one recorded attempt", key, st)
		}
	}
	for _, s := range o.Steps {
		if s.Key == "wait#1" {
			t.Errorf("the step cut off by the cancel was recorded: %+v", s)
		}
	}
}
