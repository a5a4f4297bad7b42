package order_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
)

// always answers every POST with status.
func always(status int) ordertest.Respond {
	return func(*http.Request, *ordertest.Request) (int, string) {
		return status, fmt.Sprintf(`{"status":%d}`, status)
	}
}

// step returns the journal entry of an order's step by key.
func step(t *testing.T, o *order.Order, key string) *ordo.StepRecord {
	t.Helper()
	for _, s := range o.Steps {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("order %s has no step %s; steps: %v", o.ID, key, stepAttempts(o))
	return nil
}

// TestSeedFlowEndpointFails: the endpoint answers 500 until the consume
// step's retries (the engine's defaults: 5 retries) run out, so the seed's
// "error" step runs and the order ends "Failed" with the error e-mail.
func TestSeedFlowEndpointFails(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{respond: always(http.StatusInternalServerError)})
	f.apply("seed", seedFlow(t, f.rest.URL))
	f.create(sampleOrder("ord-500", "seed"))

	o := f.finish("ord-500")
	if o.Status != "Failed" || o.InstanceStatus != ordo.StatusComplete {
		t.Fatalf("order ended %q, instance %s; want Failed and complete (the error path completed)", o.Status, o.InstanceStatus)
	}
	want := []string{"Created@", "In progress@generate", "Failed@error"}
	if diff := cmp.Diff(want, statuses(o.StatusHistory)); diff != "" {
		t.Errorf("status history (-want +got):\n%s", diff)
	}
	consume := step(t, o, "consume#1")
	if consume.Status != "failed" || consume.Attempts != ordo.DefaultRetryLimit+1 || len(consume.History) != consume.Attempts {
		t.Errorf("consume: %s after %d attempts (%d in history), want failed after %d", consume.Status, consume.Attempts, len(consume.History), ordo.DefaultRetryLimit+1)
	}
	if consume.Error == nil || !strings.Contains(consume.Error.Message, "500") {
		t.Errorf("consume error = %+v, want the 500", consume.Error)
	}
	reqs := f.rest.Requests()
	if len(reqs) != ordo.DefaultRetryLimit+1 {
		t.Fatalf("endpoint got %d POSTs, want %d", len(reqs), ordo.DefaultRetryLimit+1)
	}
	for _, r := range reqs {
		if r.IdempotencyKey != "ord-500/consume#1" || string(r.Body) != string(reqs[0].Body) {
			t.Errorf("POST %d: key %q, same body %v; every attempt must send the same key and body", r.N, r.IdempotencyKey, string(r.Body) == string(reqs[0].Body))
		}
	}
	msgs := f.mail.Messages()
	if len(msgs) != 1 || msgs[0].Subject != "Error subject" || strings.TrimSpace(msgs[0].Text) != "Error message" {
		t.Fatalf("e-mails: %d, want only the seed's error e-mail", len(msgs))
	}
	if _, ok := stepAttempts(o)["email#1"]; ok {
		t.Error("the success e-mail step ran")
	}
}

// TestRest4xxGoesToOnErrorWithoutRetry: a 400 is not retried.
func TestRest4xxGoesToOnErrorWithoutRetry(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{respond: always(http.StatusBadRequest)})
	f.apply("seed", seedFlow(t, f.rest.URL))
	f.create(sampleOrder("ord-400", "seed"))

	o := f.finish("ord-400")
	if o.Status != "Failed" {
		t.Fatalf("order ended %q, want Failed", o.Status)
	}
	if n := len(f.rest.Requests()); n != 1 {
		t.Errorf("endpoint got %d POSTs, want 1 (no retry of a 400)", n)
	}
	if c := step(t, o, "consume#1"); c.Attempts != 1 || c.Error == nil || c.Error.Kind != "non_retryable" {
		t.Errorf("consume: %d attempts, error %+v; want 1 non_retryable", c.Attempts, c.Error)
	}
	if msgs := f.mail.Messages(); len(msgs) != 1 || msgs[0].Subject != "Error subject" {
		t.Errorf("want exactly the error e-mail, got %d message(s)", len(msgs))
	}
}

// TestSMTPRefusesThenAccepts: a 451 is retried and the e-mail is
// delivered exactly once.
func TestSMTPRefusesThenAccepts(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{refuse: func(n int) error {
		if n == 1 {
			return ordertest.SMTPError(451, "mailbox busy, try again later")
		}
		return nil
	}})
	f.apply("seed", seedFlow(t, f.rest.URL))
	f.create(sampleOrder("ord-451", "seed"))

	o := f.finish("ord-451")
	if o.Status != "Success" {
		t.Fatalf("order ended %q, want Success", o.Status)
	}
	if got := f.mail.Attempts(); got != 2 {
		t.Errorf("mail server was offered %d messages, want 2 (refused, then accepted)", got)
	}
	if msgs := f.mail.Messages(); len(msgs) != 1 || msgs[0].Subject != "Success subject" {
		t.Errorf("delivered %d messages, want the success e-mail once", len(msgs))
	}
	e := step(t, o, "email#1")
	if e.Attempts != 2 || e.History[0].Error == nil || !strings.Contains(e.History[0].Error.Message, "451") {
		t.Errorf("email step: %d attempts, history %+v; want the 451 then success", e.Attempts, e.History)
	}
}

// timeoutFlow POSTs with a 2 s timeout per attempt and one retry, then
// e-mails the failure.
func timeoutFlow(uri string) []byte {
	return []byte(`[
	{"stepDefinitionId": "consume", "type": "consume-rest-api", "successStatus": "Sent",
	 "options": {"uri": "` + uri + `"}, "timeout": "2s", "retries": {"limit": 1, "delay": "10ms"}, "onError": "error"},
	{"stepDefinitionId": "error", "type": "send-email", "successStatus": "Failed",
	 "options": {"recipients": ["ops@example.com"], "subject": "Order {{.Order.ID}} failed", "message": "Check the endpoint."}}
]`)
}

// TestStepTimeoutCancelsAndRetries: an attempt that exceeds the step's
// timeout is cancelled (the endpoint sees the client go away) and retried;
// when the last attempt times out too, onError runs.
func TestStepTimeoutCancelsAndRetries(t *testing.T) {
	t.Parallel()
	var cancelled atomic.Int32
	f := setup(t, &setupOptions{respond: func(r *http.Request, _ *ordertest.Request) (int, string) {
		<-r.Context().Done() // hang until the client gives up
		cancelled.Add(1)
		return http.StatusOK, `{}`
	}})
	f.apply("slow", timeoutFlow(f.rest.URL))
	f.create(&order.CreateRequest{ID: "ord-slow", Flow: "slow",
		Customer: order.Customer{Name: "Ada", Email: "ada@example.com"}, Items: []order.Item{{SKU: "X", Quantity: 1}}})

	for attempt := 1; attempt <= 2; attempt++ {
		f.advanceUntil("ord-slow", func() bool { return len(f.rest.Requests()) >= attempt })
		f.env.Clock.Advance(2 * time.Second) // the attempt's timeout
		waitFor(t, fmt.Sprintf("attempt %d to be cancelled", attempt), func() bool { return int(cancelled.Load()) >= attempt })
	}
	o := f.finish("ord-slow")
	if o.Status != "Failed" || o.InstanceStatus != ordo.StatusComplete {
		t.Fatalf("order ended %q (instance %s), want Failed through onError", o.Status, o.InstanceStatus)
	}
	c := step(t, o, "consume#1")
	if c.Attempts != 2 || c.Error == nil || c.Error.Kind != "timeout" {
		t.Errorf("consume: %d attempts, error %+v; want 2 attempts ending in a timeout", c.Attempts, c.Error)
	}
	if n := len(f.rest.Requests()); n != 2 {
		t.Errorf("endpoint got %d POSTs, want 2", n)
	}
	if msgs := f.mail.Messages(); len(msgs) != 1 || msgs[0].Subject != "Order ord-slow failed" {
		t.Errorf("want the templated error e-mail once, got %d", len(msgs))
	}
}

// TestFailingStepWithoutOnError: the instance ends errored, the order keeps
// its last status, the error shows on both, and an operator's restart from
// the failed step finishes the order.
func TestFailingStepWithoutOnError(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{respond: always(http.StatusUnprocessableEntity)})
	f.apply("strict", []byte(`[
		{"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "In production",
		 "options": {}, "onSuccess": "consume"},
		{"stepDefinitionId": "consume", "type": "consume-rest-api", "successStatus": "Sent", "options": {"uri": "`+f.rest.URL+`"}}
	]`))
	f.create(sampleOrder("ord-stuck", "strict"))

	o := f.finish("ord-stuck")
	if o.InstanceStatus != ordo.StatusErrored || o.Status != "In production" {
		t.Fatalf("instance %s, order %q; want errored and the last status In production", o.InstanceStatus, o.Status)
	}
	if o.Error == nil || o.Error.Step != "consume" || !strings.Contains(o.Error.Message, "422") {
		t.Errorf("order error = %+v, want the consume step's 422", o.Error)
	}
	status, raw := f.do("GET", "/v1/instances/ord-stuck", nil)
	inst := decode[ordo.Instance](t, raw)
	if status != http.StatusOK || inst.Status != ordo.StatusErrored || inst.Error == nil || inst.CustomStatus != "In production" {
		t.Errorf("instance API: %d %s custom %q error %+v", status, inst.Status, inst.CustomStatus, inst.Error)
	}
	status, raw = f.do("GET", "/v1/orders?status=In+production", nil)
	if page := decode[order.OrderPage](t, raw); status != http.StatusOK || len(page.Orders) != 1 || page.Orders[0].InstanceStatus != ordo.StatusErrored {
		t.Errorf("listing the stuck order by status: %d %s", status, raw)
	}

	f.rest.SetRespond(always(http.StatusOK))
	if _, err := f.env.Engine.Restart(context.Background(), "ord-stuck", &ordo.RestartOptions{FromStep: "consume"}); err != nil {
		t.Fatal(err)
	}
	o = f.finish("ord-stuck")
	if o.Status != "Sent" || o.InstanceStatus != ordo.StatusComplete {
		t.Errorf("after restart: %q %s, want Sent complete", o.Status, o.InstanceStatus)
	}
	if g := step(t, o, "generate#1"); g.Attempts != 1 {
		t.Errorf("generate ran %d times; a restart from consume keeps it", g.Attempts)
	}
}

// TestProductionFileErrors: an unknown template or a bad parameter in an
// order stored before products were checked at create (see
// TestCreateChecksProducts) fails the step at once, naming the item and
// the parameter; the files already written are removed and onError runs.
func TestProductionFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		product *order.Product
		want    []string
	}{
		{"unknown template", &order.Product{Template: "teapot"}, []string{`item 1 (sku "BAD")`, "unknown template", "teapot"}},
		{"out of range", &order.Product{Template: "ring", Parameters: map[string]any{"size": 99}}, []string{`item 1 (sku "BAD")`, `parameter "size"`}},
		{"unknown parameter", &order.Product{Template: "box", Parameters: map[string]any{"colour": "red"}}, []string{`item 1 (sku "BAD")`, `parameter "colour"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, nil)
			f.apply("seed", seedFlow(t, f.rest.URL))
			req := sampleOrder("ord-bad", "seed")
			req.Items = []order.Item{req.Items[0], {SKU: "BAD", Quantity: 1, Product: tc.product}}
			f.createUnchecked(req)
			o := f.finish("ord-bad")
			if left, err := f.files.List(context.Background(), "orders/ord-bad/"); err != nil || len(left) != 0 {
				t.Errorf("files left after the failed generation: %d, %v", len(left), err)
			}
			if o.Status != "Failed" {
				t.Fatalf("order ended %q, want Failed", o.Status)
			}
			g := step(t, o, "generate#1")
			if g.Attempts != 1 || g.Error == nil || g.Error.Kind != "non_retryable" {
				t.Fatalf("generate: %d attempts, error %+v; want one non-retryable failure", g.Attempts, g.Error)
			}
			for _, w := range tc.want {
				if !strings.Contains(g.Error.Message, w) {
					t.Errorf("error %q does not mention %q", g.Error.Message, w)
				}
			}
			if len(f.rest.Requests()) != 0 {
				t.Error("the order was POSTed after its files failed")
			}
		})
	}
}

// TestNoMailer: without an SMTP server a send-email step fails at once
// with a clear error.
func TestNoMailer(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{noMailer: true})
	f.apply("mail", []byte(`[{"stepDefinitionId": "email", "type": "send-email", "successStatus": "Mailed",
		"options": {"recipients": ["a@example.com"], "subject": "s", "message": "m"}}]`))
	f.create(sampleOrder("ord-nomail", "mail"))
	o := f.finish("ord-nomail")
	e := step(t, o, "email#1")
	if o.InstanceStatus != ordo.StatusErrored || e.Attempts != 1 || !strings.Contains(e.Error.Message, "no SMTP server configured") {
		t.Errorf("instance %s, email step %d attempts, error %+v", o.InstanceStatus, e.Attempts, e.Error)
	}
}

// advanceUntil waits for cond, moving the virtual clock to the instance's
// wake time whenever it waits (a retry delay) and nothing runs.
func (f *fixture) advanceUntil(id string, cond func() bool) {
	f.t.Helper()
	waitFor(f.t, "condition", func() bool {
		if cond() {
			return true
		}
		inst, err := f.env.Engine.Get(context.Background(), id)
		if err == nil && inst.Status == ordo.StatusWaiting && inst.WakeAt != nil && f.env.Engine.Active() == 0 {
			f.env.Clock.Set(*inst.WakeAt)
		}
		return false
	})
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for poll := time.Millisecond; !cond(); poll = min(2*poll, 20*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(poll) // polling interval, not a wait for work
	}
}
