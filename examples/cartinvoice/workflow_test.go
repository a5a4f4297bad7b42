package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/store"
)

// paymentServer fails the first failures POSTs with 500, then accepts.
type paymentServer struct {
	mu       sync.Mutex
	failures int
	keys     []string
	bodies   []string
}

func (p *paymentServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	buf := new(strings.Builder)
	_, _ = io.Copy(buf, r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, r.Header.Get("Idempotency-Key"))
	p.bodies = append(p.bodies, buf.String())
	if len(p.keys) <= p.failures {
		http.Error(w, "processor unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"charged": true}`))
}

func TestCartInvoice(t *testing.T) {
	ctx := context.Background()
	carts, err := OpenCarts(ctx, filepath.Join(t.TempDir(), "carts.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer carts.Close()
	if _, err := carts.Exec(`INSERT INTO cart (id, checked_out, amount, email) VALUES ('123', 0, 250, 'celso@example.com')`); err != nil {
		t.Fatal(err)
	}
	pay := &paymentServer{failures: 2}
	ps := httptest.NewServer(pay)
	defer ps.Close()
	smtpd := ordertest.StartMailServer(t, nil)
	mailer, err := email.New(email.Config{URL: smtpd.URL(), From: "Pet shop <merchant@example.com>"})
	if err != nil {
		t.Fatal(err)
	}

	env := ordotest.New(t, nil)
	wf := NewWorkflow(&Deps{Carts: carts, PaymentURL: ps.URL, Payments: &rest.Client{}, Mailer: mailer})
	env.Register(wf)
	// The seed's trigger: the shop publishes cart.created.
	ev, _, err := env.Engine.Publish(ctx, ordo.PublishEvent{ID: "cart-123", Type: "cart.created", Payload: Params{CartID: "123"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Deliveries) != 1 || ev.Deliveries[0].Outcome != store.DeliveryStarted {
		t.Fatalf("deliveries = %+v", ev.Deliveries)
	}
	inst, err := env.Engine.Get(ctx, ev.Deliveries[0].InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	start := env.Clock.Now()

	// The 10 s sleep, then "retrieve cart" fails: the cart is not checked out.
	w := env.WaitStatus(inst.ID, ordo.StatusWaiting)
	env.Clock.Set(*w.WakeAt)
	for {
		w = env.WaitStatus(inst.ID, ordo.StatusWaiting)
		if len(w.Steps) == 2 && w.Steps[1].Attempts == 2 {
			break
		}
		env.Clock.Set(*w.WakeAt)
	}
	if _, err := carts.Exec(`UPDATE cart SET checked_out = 1 WHERE id = '123'`); err != nil {
		t.Fatal(err)
	}

	final := env.WaitDone(inst.ID)
	if final.Status != ordo.StatusComplete {
		t.Fatalf("status %s error %+v", final.Status, final.Error)
	}
	out, _ := wf.Output(final)
	if out != (Receipt{CartID: "123", Amount: 250, InvoiceTo: "celso@example.com"}) {
		t.Fatalf("output = %+v", out)
	}
	attempts := map[string]int{}
	for _, s := range final.Steps {
		attempts[s.Name] = s.Attempts
	}
	if attempts["retrieve cart"] != 3 || attempts["payment"] != 3 || attempts["send invoice"] != 1 {
		t.Fatalf("attempts = %v", attempts)
	}
	// Retry delays are the seed's: 2 minutes constant for the cart, 1 minute for the payment.
	h := final.Steps[1].History
	if gap := h[1].StartedAt.Sub(h[0].FinishedAt); gap != 2*time.Minute {
		t.Errorf("cart retry gap = %s", gap)
	}
	h = final.Steps[2].History
	if gap := h[2].StartedAt.Sub(h[1].FinishedAt); gap != time.Minute {
		t.Errorf("payment retry gap = %s", gap)
	}
	if final.Steps[0].Kind != store.KindSleep || final.FinishedAt.Sub(start) < 10*time.Second+4*time.Minute {
		t.Errorf("virtual duration %s", final.FinishedAt.Sub(start))
	}
	// Three POSTs with one idempotency key; the e-mail went out once.
	if len(pay.keys) != 3 || pay.keys[0] == "" || pay.keys[0] != pay.keys[2] || pay.bodies[2] != `{"amount":250}` {
		t.Fatalf("payment requests: keys %q bodies %q", pay.keys, pay.bodies)
	}
	msgs := smtpd.WaitMessages(t, 1, 5*time.Second)
	if len(msgs) != 1 || msgs[0].To[0] != "celso@example.com" || msgs[0].Subject != "Your invoice" ||
		!strings.Contains(msgs[0].Text, "Your invoice for 250 has been paid.") {
		t.Fatalf("mail = %+v", msgs[0])
	}
}
