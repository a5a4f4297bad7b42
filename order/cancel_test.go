package order_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/webhook"
)

// processor stands in for a payment processor and a carrier: /charge and
// /refund answer 200 (the first refund 503, so it is retried), /ship
// blocks until the client gives up (the order is cancelled meanwhile).
func processor(refunds *atomic.Int32) ordertest.Respond {
	return func(r *http.Request, req *ordertest.Request) (int, string) {
		switch req.Path {
		case "/refund":
			if refunds.Add(1) == 1 {
				return http.StatusServiceUnavailable, `{"error":"try again"}`
			}
			return http.StatusOK, `{"refunded":true}`
		case "/ship":
			<-r.Context().Done()
			return http.StatusGatewayTimeout, `{}`
		}
		return http.StatusOK, `{"charged":true}`
	}
}

// cancelFlow makes production files (undone by an apology e-mail),
// charges (undone by a refund), then ships.
func cancelFlow(uri string, allowAfter bool) []byte {
	allow := ""
	if allowAfter {
		allow = `"allowCancelAfterCompletion": true,`
	}
	return []byte(`{"cancelStatus": "Refunded", ` + allow + ` "steps": [
		{"stepDefinitionId": "files", "type": "generate-production-files", "successStatus": "In production",
		 "options": {}, "onSuccess": "charge", "onCompensate": "apology"},
		{"stepDefinitionId": "charge", "type": "consume-rest-api", "successStatus": "Paid",
		 "options": {"uri": "` + uri + `/charge"}, "onSuccess": "ship", "onCompensate": "refund"},
		{"stepDefinitionId": "ship", "type": "consume-rest-api", "successStatus": "Shipped",
		 "options": {"uri": "` + uri + `/ship"}, "retries": {"limit": 0}},
		{"stepDefinitionId": "refund", "type": "consume-rest-api", "successStatus": "unused",
		 "options": {"uri": "` + uri + `/refund"}, "retries": {"limit": 3, "delay": "1s", "backoff": "constant"}},
		{"stepDefinitionId": "apology", "type": "send-email", "successStatus": "unused",
		 "options": {"recipients": ["{{.Order.Customer.Email}}"], "subject": "Order {{.Order.ID}} cancelled",
		  "message": "We are sorry: your order was cancelled and refunded."}}
	]}`)
}

// TestCancelOrderRefunds: POST /v1/orders/{id}/cancel while the ship step
// runs cancels its request, then the refund (a real, signed REST call,
// retried once) and the apology e-mail run in reverse order of their
// steps; the order ends Refunded with its files kept and marked, and a
// second cancel is 409.
func TestCancelOrderRefunds(t *testing.T) {
	t.Parallel()
	refunds := new(atomic.Int32)
	f := setup(t, &setupOptions{respond: processor(refunds)})
	f.apply("shop", cancelFlow(f.rest.URL, false))
	f.create(sampleOrder("ord-c1", "shop"))
	f.rest.WaitRequests(t, 2, waitTimeout) // charge, ship (blocked)

	status, raw := f.do("POST", "/v1/orders/ord-c1/cancel", map[string]string{"reason": "customer changed their mind"})
	if status != http.StatusOK {
		t.Fatalf("cancel: %d %s", status, raw)
	}
	if o := decode[order.Order](t, raw); !o.Cancelling {
		t.Errorf("cancel answered %+v, want cancelling", o)
	}
	o := f.finish("ord-c1")
	if o.InstanceStatus != ordo.StatusCancelled || o.Status != "Refunded" || o.Error == nil ||
		o.Error.Kind != store.ErrorKindCancelled || !strings.Contains(o.Error.Message, "customer changed their mind") || o.Cancelling {
		t.Fatalf("order: %s %q error %+v cancelling %v", o.InstanceStatus, o.Status, o.Error, o.Cancelling)
	}
	if h := statuses(o.StatusHistory); h[len(h)-1] != "Refunded@" {
		t.Errorf("status history %q, want it to end with the cancellation", h)
	}
	if len(o.Files) == 0 {
		t.Fatal("the cancelled order lost its files")
	}
	for _, file := range o.Files {
		if !file.Cancelled {
			t.Errorf("file %s not marked cancelled", file.Name)
		}
	}
	reqs := f.rest.Requests()
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Path)
	}
	if want := "/charge /ship /refund /refund"; strings.Join(paths, " ") != want {
		t.Fatalf("requests %q, want %q", paths, want)
	}
	for _, r := range reqs[2:] {
		if r.IdempotencyKey != "ord-c1/charge#1/compensate" || !strings.Contains(string(r.Body), `"ord-c1"`) {
			t.Errorf("refund request: key %q body %s", r.IdempotencyKey, r.Body)
		}
		if err := webhook.Verify(signingKey(), r.Header, r.Body, 0, time.Now()); err != nil {
			t.Errorf("refund signature: %v", err)
		}
	}
	mails := f.mail.WaitMessages(t, 1, waitTimeout)
	if len(mails) != 1 || mails[0].Subject != "Order ord-c1 cancelled" || !strings.Contains(mails[0].To[0], "ada@example.com") {
		t.Errorf("apology mails: %+v", mails)
	}
	if st := step(t, o, "charge#1"); st.CompensationStatus != store.CompCompleted || st.CompensationAttempts != 2 {
		t.Errorf("charge compensation: %s after %d attempts", st.CompensationStatus, st.CompensationAttempts)
	}
	if st := step(t, o, "files#1"); st.CompensationStatus != store.CompCompleted {
		t.Errorf("files compensation: %s", st.CompensationStatus)
	}
	status, raw = f.do("POST", "/v1/orders/ord-c1/cancel", map[string]string{"reason": "again"})
	if status != http.StatusConflict || !strings.Contains(string(raw), "has finished") {
		t.Errorf("second cancel: %d %s", status, raw)
	}
	status, raw = f.do("POST", "/v1/orders/nope/cancel", nil)
	if status != http.StatusNotFound {
		t.Errorf("cancel of an unknown order: %d %s", status, raw)
	}
}

// TestCancelCompletedOrder: a complete order is 409 unless its flow
// allows cancellation after completion; then every completed step is
// compensated.
func TestCancelCompletedOrder(t *testing.T) {
	t.Parallel()
	for _, allow := range []bool{false, true} {
		refunds := new(atomic.Int32)
		refunds.Store(1) // no 503 first
		f := setup(t, &setupOptions{respond: func(r *http.Request, req *ordertest.Request) (int, string) {
			if req.Path == "/refund" {
				refunds.Add(1)
			}
			return http.StatusOK, `{}`
		}})
		f.apply("shop", cancelFlow(f.rest.URL, allow))
		f.create(sampleOrder("ord-done", "shop"))
		if o := f.finish("ord-done"); o.InstanceStatus != ordo.StatusComplete || o.Status != "Shipped" {
			t.Fatalf("before cancel: %s %q", o.InstanceStatus, o.Status)
		}
		status, raw := f.do("POST", "/v1/orders/ord-done/cancel", map[string]string{"reason": "returned"})
		if !allow {
			if status != http.StatusConflict || !strings.Contains(string(raw), "allowCancelAfterCompletion") {
				t.Errorf("cancel of a complete order: %d %s", status, raw)
			}
			continue
		}
		if status != http.StatusOK {
			t.Fatalf("cancel after completion: %d %s", status, raw)
		}
		o := f.finish("ord-done")
		if o.InstanceStatus != ordo.StatusCancelled || o.Status != "Refunded" || refunds.Load() != 2 {
			t.Errorf("after cancel: %s %q, %d refunds", o.InstanceStatus, o.Status, refunds.Load()-1)
		}
		f.mail.WaitMessages(t, 1, waitTimeout)
	}
}

// TestFailedFlowRunsCompensations: a step failing for good without an
// onError path runs the compensations of the steps before it; the order
// ends errored.
func TestFailedFlowRunsCompensations(t *testing.T) {
	t.Parallel()
	var refunds atomic.Int32
	f := setup(t, &setupOptions{respond: func(r *http.Request, req *ordertest.Request) (int, string) {
		switch req.Path {
		case "/refund":
			refunds.Add(1)
			return http.StatusOK, `{}`
		case "/ship":
			return http.StatusUnprocessableEntity, `{"error":"no such address"}`
		}
		return http.StatusOK, `{}`
	}})
	f.apply("shop", cancelFlow(f.rest.URL, false))
	f.create(sampleOrder("ord-f", "shop"))
	o := f.finish("ord-f")
	if o.InstanceStatus != ordo.StatusErrored || o.Error == nil || o.Error.Step != "ship" || refunds.Load() != 1 {
		t.Fatalf("order: %s error %+v, %d refunds", o.InstanceStatus, o.Error, refunds.Load())
	}
	if mails := f.mail.WaitMessages(t, 1, waitTimeout); len(mails) != 1 {
		t.Errorf("apology mails: %d", len(mails))
	}
	if _, err := f.svc.CancelOrder(context.Background(), "ord-f", "late"); err == nil {
		t.Error("cancel of an errored order accepted")
	}
}
