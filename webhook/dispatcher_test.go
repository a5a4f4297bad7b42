package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/store/sqlite"
	"github.com/ordohq/ordo/webhook"
)

// clock is a test clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// receiver is a real HTTP endpoint on 127.0.0.1 that verifies every
// signature, fails the first failFirst attempts of each message, and keeps
// the bodies it accepted per instance, in order.
type receiver struct {
	t         *testing.T
	key       []byte
	clock     *clock
	failFirst int
	url       string

	mu       sync.Mutex
	attempts map[string]int      // by webhook-id
	accepted map[string][]string // instance ID -> custom statuses in arrival order
	seen     map[string]bool     // webhook-ids accepted
	bad      []string
}

func startReceiver(t *testing.T, secret string, c *clock, failFirst int) *receiver {
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, key: key, clock: c, failFirst: failFirst, attempts: map[string]int{},
		accepted: map[string][]string{}, seen: map[string]bool{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hooks"
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhook.Verify(r.key, req.Header, body, 0, r.clock.Now()); err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(webhook.HeaderID)
	r.attempts[id]++
	if r.attempts[id] <= r.failFirst {
		http.Error(w, "not yet", http.StatusServiceUnavailable)
		return
	}
	var d struct {
		Data struct {
			ID           string `json:"id"`
			CustomStatus string `json:"customStatus"`
		} `json:"data"`
	}
	if err := jsonUnmarshal(body, &d); err != nil {
		r.bad = append(r.bad, err.Error())
	}
	if !r.seen[id] { // at least once: a repeat is recognised by its id
		r.seen[id] = true
		r.accepted[d.Data.ID] = append(r.accepted[d.Data.ID], d.Data.CustomStatus)
	}
	w.WriteHeader(http.StatusNoContent)
}

// changeStatuses drives instance id through statuses, one commit each,
// as an order flow does.
func changeStatuses(t *testing.T, s store.Store, id string, at time.Time, statuses ...string) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: id, Workflow: "flow:shop", Now: at}); err != nil {
		t.Fatal(err)
	}
	ins, err := s.InstanceClaim(ctx, &store.ClaimParams{Owner: "w", Limit: 1, Now: at, LeaseUntil: at.Add(time.Hour), Workflows: []string{"flow:shop"}})
	if err != nil || len(ins) != 1 {
		t.Fatalf("claim %s: %v %v", id, ins, err)
	}
	for i, st := range statuses {
		u := &store.Update{InstanceID: id, LeaseToken: ins[0].LeaseToken, Now: at, CustomStatus: &st}
		if i == len(statuses)-1 {
			u.State, u.Release = &store.StateChange{Status: store.StatusComplete}, true
		}
		res, err := s.Commit(ctx, []*store.Update{u})
		if err != nil || res[0].Err != nil {
			t.Fatalf("commit %s %s: %v %v", id, st, err, res)
		}
	}
}

// drain dispatches until nothing is pending, moving the clock to the next
// retry whenever nothing is due.
func drain(t *testing.T, d *webhook.Dispatcher, c *clock, rounds int) {
	t.Helper()
	idle := 0
	for range rounds {
		n, err := d.DispatchOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			idle = 0
			continue
		}
		if idle++; idle > 3 {
			return
		}
		c.Add(webhook.MaxBackoff)
	}
	t.Fatalf("deliveries still due after %d rounds", rounds)
}

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestDispatcherDeliversEveryChangeInOrder(t *testing.T) {
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	s := memory.New()
	rcv := startReceiver(t, secret, c, 2)
	if err := s.WebhookCreate(t.Context(), &store.Webhook{ID: "shop", URL: rcv.url,
		Events: []string{store.WebhookOrderStatusChanged}, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	statuses := []string{"Received", "In progress", "Shipped", "Success"}
	const orders = 100
	for i := range orders {
		changeStatuses(t, s, fmt.Sprintf("ord-%03d", i), c.Now(), statuses...)
	}
	d := &webhook.Dispatcher{Store: s, Logger: quiet, Now: c.Now, Batch: 50}
	drain(t, d, c, 10_000)

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.bad) > 0 {
		t.Fatalf("%d requests failed verification, first: %s", len(rcv.bad), rcv.bad[0])
	}
	if len(rcv.accepted) != orders {
		t.Fatalf("receiver heard of %d orders, want %d", len(rcv.accepted), orders)
	}
	for id, got := range rcv.accepted {
		if !slices.Equal(got, statuses) {
			t.Errorf("order %s: statuses %q, want %q in order", id, got, statuses)
		}
	}
	for id, n := range rcv.attempts {
		if n != 3 {
			t.Errorf("message %s: %d attempts, want 3 (two refused, one accepted)", id, n)
		}
	}
}

func TestDispatcherFailsAfterRetryPeriod(t *testing.T) {
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	s := memory.New()
	rcv := startReceiver(t, secret, c, 1_000_000)
	if err := s.WebhookCreate(t.Context(), &store.Webhook{ID: "down", URL: rcv.url,
		Events: []string{store.WebhookOrderStatusChanged}, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	changeStatuses(t, s, "ord-1", c.Now(), "A", "B")
	d := &webhook.Dispatcher{Store: s, Logger: quiet, Now: c.Now}
	drain(t, d, c, 1000)
	page, err := s.WebhookDeliveries(t.Context(), &store.WebhookDeliveryListParams{WebhookID: "down"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Deliveries) != 2 {
		t.Fatalf("%d deliveries, want 2", len(page.Deliveries))
	}
	for _, dl := range page.Deliveries {
		last := dl.Attempts[len(dl.Attempts)-1]
		if dl.State != store.WebhookFailed || last.StatusCode != http.StatusServiceUnavailable || last.At.After(dl.Attempts[0].At.Add(store.WebhookRetryPeriod+webhook.MaxBackoff)) ||
			len(dl.Attempts) < 20 || !strings.Contains(last.Error, "503") {
			t.Errorf("delivery %d: state %s, %d attempts, last %+v, retry until %v", dl.ID, dl.State, len(dl.Attempts), last, dl.RetryUntil)
		}
	}
}

func TestDispatcherRefusesLinkLocal(t *testing.T) {
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	s := memory.New()
	if err := s.WebhookCreate(t.Context(), &store.Webhook{ID: "meta", URL: "http://169.254.169.254/latest",
		Events: []string{store.WebhookInstanceComplete}, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	changeStatuses(t, s, "ord-1", c.Now(), "A")
	d := &webhook.Dispatcher{Store: s, Logger: quiet, Now: c.Now}
	if _, err := d.DispatchOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	page, _ := s.WebhookDeliveries(t.Context(), &store.WebhookDeliveryListParams{WebhookID: "meta"})
	dl := page.Deliveries[0]
	if dl.State != store.WebhookFailed || len(dl.Attempts) != 1 || !strings.Contains(dl.Attempts[0].Error, "refused") {
		t.Errorf("delivery to a link-local address: %+v %+v", dl, dl.Attempts)
	}
}

// TestDispatcherAfterRestart: the changes commit, the process stops before
// any delivery (the store is closed), and a dispatcher on the reopened
// store delivers every one.
func TestDispatcherAfterRestart(t *testing.T) {
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "ordo.db")
	open := func() *sqlite.Store {
		s, err := sqlite.Open(context.Background(), path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	rcv := startReceiver(t, secret, c, 1)
	s := open()
	if err := s.WebhookCreate(t.Context(), &store.Webhook{ID: "shop", URL: rcv.url,
		Events: []string{store.WebhookOrderStatusChanged, store.WebhookInstanceComplete}, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		changeStatuses(t, s, fmt.Sprintf("ord-%02d", i), c.Now(), "Received", "Success")
	}
	// One claim taken, its POSTs never made: the process dies here.
	if _, err := s.WebhookClaim(t.Context(), &store.WebhookClaimParams{Limit: 5, Now: c.Now(), Until: c.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open()
	defer s.Close()
	d := &webhook.Dispatcher{Store: s, Logger: quiet, Now: c.Now}
	drain(t, d, c, 1000)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.accepted) != 20 || len(rcv.bad) > 0 {
		t.Fatalf("accepted %d orders, %d bad requests", len(rcv.accepted), len(rcv.bad))
	}
	for id, got := range rcv.accepted {
		if want := []string{"Received", "Success", "Success"}; !slices.Equal(got, want) {
			t.Errorf("order %s: %q, want %q (two status changes, then complete)", id, got, want)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

var quiet = slog.New(slog.DiscardHandler)

func TestDispatcherPrunesAfterRetention(t *testing.T) {
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	s := memory.New()
	rcv := startReceiver(t, secret, c, 0)
	if err := s.WebhookCreate(t.Context(), &store.Webhook{ID: "shop", URL: rcv.url,
		Events: []string{store.WebhookOrderStatusChanged}, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	changeStatuses(t, s, "ord-1", c.Now(), "A", "B")
	d := &webhook.Dispatcher{Store: s, Logger: quiet, Now: c.Now}
	drain(t, d, c, 100)
	if n, err := d.Prune(t.Context()); err != nil || n != 0 {
		t.Fatalf("Prune within the retention = %d, %v; want 0", n, err)
	}
	c.Add(webhook.DefaultRetention)
	if n, err := d.Prune(t.Context()); err != nil || n != 2 {
		t.Fatalf("Prune after the retention = %d, %v; want 2", n, err)
	}
}
