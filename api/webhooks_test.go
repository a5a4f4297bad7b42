package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/webhook"
)

// hookReceiver verifies every signature, refuses the first two attempts
// of each message and keeps, per instance, the events it accepted in
// arrival order.
type hookReceiver struct {
	now func() time.Time

	mu       sync.Mutex
	key      []byte
	attempts map[string]int
	accepted map[string][]string
	bad      []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := webhook.Verify(h.key, r.Header, body, 0, h.now()); err != nil {
		h.bad = append(h.bad, err.Error())
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(webhook.HeaderID)
	if h.attempts[id]++; h.attempts[id] <= 2 {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	var m struct {
		Type string `json:"type"`
		Data struct {
			ID           string `json:"id"`
			CustomStatus string `json:"customStatus"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &m)
	if h.attempts[id] == 3 {
		h.accepted[m.Data.ID] = append(h.accepted[m.Data.ID], m.Type+":"+m.Data.CustomStatus)
	}
	w.WriteHeader(http.StatusOK)
}

type hookClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *hookClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *hookClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestWebhookRoutesDeliverStatusChanges(t *testing.T) {
	st := memory.New()
	log := slog.New(slog.DiscardHandler)
	env := ordotest.New(t, &ordotest.Options{Store: st})
	env.Register(ordo.NewWorkflow("shop", func(ctx context.Context, in map[string]any) (map[string]any, error) {
		for _, s := range []string{"Received", "In progress", "Shipped"} {
			if err := ordo.SetCustomStatus(ctx, s); err != nil {
				return nil, err
			}
			if _, err := ordo.Do(ctx, "work-"+s, nil, func(ctx context.Context) (string, error) { return s, nil }); err != nil {
				return nil, err
			}
		}
		return in, nil
	}))
	a, err := auth.New(auth.Config{Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: env.Engine, Logger: log, Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	srv.WebhookRoutes(st, nil)
	hs := httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(hs.Close)
	keys := map[auth.Scope]string{}
	for _, sc := range auth.Scopes {
		if keys[sc], _, err = a.CreateKey(t.Context(), string(sc), sc, ""); err != nil {
			t.Fatal(err)
		}
	}
	do := func(scope auth.Scope, method, path, body string, out any) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+keys[scope])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("decode %s: %v", b, err)
			}
		}
		return resp.StatusCode, string(b)
	}

	clk := &hookClock{t: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)}
	rcv := &hookReceiver{now: clk.Now, attempts: map[string]int{}, accepted: map[string][]string{}}
	recv := httptest.NewServer(rcv)
	t.Cleanup(recv.Close)

	// Caller errors, then the webhook.
	for body, want := range map[string]int{
		`{"id":"x","url":"` + recv.URL + `","events":["order.deleted"]}`:                      400,
		`{"id":"x","url":"file:///etc/passwd","events":["instance.complete"]}`:                400,
		`{"id":"x y","url":"` + recv.URL + `","events":["instance.complete"]}`:                400,
		`{"id":"x","url":"` + recv.URL + `","events":["instance.complete"],"secret":"short"}`: 400,
		`{"id":"x","url":"` + recv.URL + `","events":[],"extra":1}`:                           400,
	} {
		if code, b := do(auth.ScopeAdmin, "POST", "/v1/webhooks", body, nil); code != want {
			t.Errorf("POST %s = %d %s, want %d", body, code, b, want)
		}
	}
	body := `{"id":"shop","url":"` + recv.URL + `/hooks","events":["order.status_changed","instance.complete"]}`
	if code, _ := do(auth.ScopeOperate, "POST", "/v1/webhooks", body, nil); code != http.StatusForbidden {
		t.Errorf("POST /v1/webhooks with an operate key = %d, want 403", code)
	}
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if code, b := do(auth.ScopeAdmin, "POST", "/v1/webhooks", body, &created); code != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks = %d %s", code, b)
	}
	if code, _ := do(auth.ScopeAdmin, "POST", "/v1/webhooks", body, nil); code != http.StatusConflict {
		t.Errorf("second POST = %d, want 409", code)
	}
	key, err := webhook.ParseSecret(created.Secret)
	if err != nil {
		t.Fatalf("generated secret %q: %v", created.Secret, err)
	}
	rcv.key = key
	if _, b := do(auth.ScopeRead, "GET", "/v1/webhooks/shop", "", nil); strings.Contains(b, created.Secret) || !strings.Contains(b, `"url"`) {
		t.Errorf("GET shows %s", b)
	}
	if _, b := do(auth.ScopeRead, "GET", "/v1/webhooks", "", nil); strings.Contains(b, created.Secret) || !strings.Contains(b, `"shop"`) {
		t.Errorf("GET list shows %s", b)
	}

	const orders = 100
	var ids []string
	for i := range orders {
		ids = append(ids, env.Start("shop", map[string]any{"n": i}))
	}
	for _, id := range ids {
		env.WaitDone(id)
	}
	d := &webhook.Dispatcher{Store: st, Now: clk.Now, Logger: log, Batch: 100}
	for idle := 0; idle < 3; {
		n, err := d.DispatchOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			idle++
			clk.add(webhook.MaxBackoff)
		} else {
			idle = 0
		}
	}
	rcv.mu.Lock()
	if len(rcv.bad) > 0 {
		t.Fatalf("%d bad signatures, first %s", len(rcv.bad), rcv.bad[0])
	}
	want := []string{"order.status_changed:Received", "order.status_changed:In progress", "order.status_changed:Shipped", "instance.complete:Shipped"}
	for _, id := range ids {
		if got := rcv.accepted[id]; !slices.Equal(got, want) {
			t.Errorf("instance %s: receiver got %q, want %q", id, got, want)
		}
	}
	rcv.mu.Unlock()

	var page store.WebhookDeliveryPage
	if code, b := do(auth.ScopeRead, "GET", "/v1/webhooks/shop/deliveries?limit=2", "", &page); code != 200 || len(page.Deliveries) != 2 || page.NextCursor == "" {
		t.Fatalf("GET deliveries = %d %s", code, b)
	}
	dl := page.Deliveries[0]
	if dl.State != store.WebhookDelivered || len(dl.Attempts) != 3 || dl.Attempts[0].StatusCode != http.StatusBadGateway || dl.Attempts[2].StatusCode != http.StatusOK {
		t.Errorf("delivery %+v attempts %+v", dl, dl.Attempts)
	}
	if code, b := do(auth.ScopeRead, "GET", "/v1/webhooks/shop/deliveries?cursor="+page.NextCursor, "", &page); code != 200 || len(page.Deliveries) == 0 {
		t.Errorf("second page = %d %s", code, b)
	}
	path := fmt.Sprintf("/v1/webhooks/shop/deliveries/%d/redeliver", dl.ID)
	if code, b := do(auth.ScopeAdmin, "POST", path, "", nil); code != 200 || !strings.Contains(b, `"pending"`) {
		t.Errorf("redeliver = %d %s", code, b)
	}
	if code, _ := do(auth.ScopeAdmin, "POST", "/v1/webhooks/shop/deliveries/999999/redeliver", "", nil); code != 404 {
		t.Errorf("redeliver of an unknown delivery = %d, want 404", code)
	}
	if code, _ := do(auth.ScopeAdmin, "DELETE", "/v1/webhooks/shop", "", nil); code != 204 {
		t.Errorf("DELETE = %d", code)
	}
	if code, _ := do(auth.ScopeRead, "GET", "/v1/webhooks/shop", "", nil); code != 404 {
		t.Errorf("GET after DELETE = %d, want 404", code)
	}
}
