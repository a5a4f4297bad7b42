package ui_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/ui"
	"github.com/ordohq/ordo/webhook"
)

// setupTriggers is a dashboard with the events and webhooks pages over a
// memory store holding: a webhook "erp" taking instance.complete; events
// e1 (started label:order.placed:e1), e2 (its filter failed) and e3 (a
// type nobody takes); and the webhook's deliveries of the finished
// instances, every one failed after a 500 answer.
func setupTriggers(t *testing.T, a *auth.Authenticator) (*fixture, store.WebhookStore) {
	t.Helper()
	env := ordotest.New(t, &ordotest.Options{Start: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)})
	type order struct {
		Total float64 `json:"total"`
	}
	env.Register(ordo.NewWorkflow("label", func(ctx context.Context, o order) (string, error) { return "labelled", nil }).
		On("order.placed", ordo.If("payload.total > 100")))
	ws, ok := env.Store.(store.WebhookStore)
	if !ok {
		t.Fatal("the memory store keeps no webhooks")
	}
	secret, err := webhook.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := ws.WebhookCreate(ctx, &store.Webhook{ID: "erp", URL: "https://erp.example.com/hooks",
		Events: []string{store.WebhookInstanceComplete}, Secret: secret, CreatedAt: env.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []ordo.PublishEvent{
		{ID: "e1", Type: "order.placed", Payload: map[string]any{"total": 150.5}},
		{ID: "e2", Type: "order.placed", Payload: map[string]any{"note": "no total"}},
		{ID: "e3", Type: "cart.created", Payload: map[string]any{"cart": "c1"}},
	} {
		if _, _, err := env.Engine.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	env.WaitDone("label:order.placed:e1")
	now := time.Now()
	ds, err := ws.WebhookClaim(ctx, &store.WebhookClaimParams{Limit: 10, Now: now.Add(time.Hour), Until: now.Add(2 * time.Hour)})
	if err != nil || len(ds) != 1 {
		t.Fatalf("claim: %d deliveries, %v", len(ds), err)
	}
	if err := ws.WebhookRecord(ctx, &store.WebhookRecordParams{ID: ds[0].ID, State: store.WebhookFailed,
		Attempt: store.WebhookAttempt{Number: 1, At: now, StatusCode: 500, Error: "receiver said no"}}); err != nil {
		t.Fatal(err)
	}
	h, err := ui.New(ui.Config{Engine: env.Engine, Location: time.UTC, Events: true, Webhooks: ws, Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	return serveFixture(t, env, h), ws
}

func TestEventsPage(t *testing.T) {
	t.Parallel()
	f, _ := setupTriggers(t, nil)
	page := f.get("/ui/events")
	if page.status != http.StatusOK {
		t.Fatalf("events page: %d %s", page.status, page.body)
	}
	mustContain(t, "the events page", page.body, `href="/ui/events"`, `href="/ui/webhooks"`,
		"e1", "e2", "e3", "order.placed", "cart.created", "2026-03-02 14:00:00 UTC", `{&#34;total&#34;:150.5}`,
		"label:order.placed", "started", `href="/ui/instances/label:order.placed:e1"`,
		`<tr id="event-e2" class="failed">`, "error", "no subscription takes this type")
	mustNotContain(t, "the events page", page.body, `<tr id="event-e1" class="failed">`, `<tr id="event-e3" class="failed">`)
	checkNoInlineCode(t, "the events page", page.body)

	for _, tc := range []struct {
		query      string
		status     int
		want, lack []string
	}{
		{"?type=cart.created", http.StatusOK, []string{"event-e3"}, []string{"event-e1", "event-e2"}},
		{"?type=order.placed&since=1h", http.StatusOK, []string{"event-e1", "event-e2"}, []string{"event-e3"}},
		{"?since=all", http.StatusOK, []string{"event-e1", "event-e3"}, nil},
		{"?type=nobody.takes", http.StatusOK, []string{"No events published"}, []string{"event-e1"}},
		{"?type=bad%20type", http.StatusBadRequest, []string{"not an event type"}, []string{"event-e1"}},
		{"?since=forever", http.StatusBadRequest, []string{"1h, 168h or all"}, []string{"event-e1"}},
		{"?cursor=" + strings.Repeat("x", 300), http.StatusBadRequest, []string{"cursor is too long"}, nil},
		{"?cursor=garbage", http.StatusBadRequest, []string{"could not be read"}, nil},
	} {
		r := f.get("/ui/events" + tc.query)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.query, r.status, tc.status)
		}
		mustContain(t, "events"+tc.query, r.body, tc.want...)
		mustNotContain(t, "events"+tc.query, r.body, tc.lack...)
	}
}

func TestWebhooksPage(t *testing.T) {
	t.Parallel()
	f, ws := setupTriggers(t, nil)
	page := f.get("/ui/webhooks")
	if page.status != http.StatusOK {
		t.Fatalf("webhooks page: %d %s", page.status, page.body)
	}
	mustContain(t, "the webhooks page", page.body, "erp", "https://erp.example.com/hooks", "instance.complete",
		`href="/ui/instances/label:order.placed:e1"`, "failed", "500", "receiver said no", `class="failed"`, "Redeliver")
	mustNotContain(t, "the webhooks page", page.body, "whsec_")
	checkNoInlineCode(t, "the webhooks page", page.body)

	d := firstDelivery(t, ws)
	path := "/ui/webhooks/erp/deliveries/" + strconv.FormatInt(d.ID, 10) + "/redeliver"
	if r := f.post(path, nil, "Origin", "https://evil.example"); r.status != http.StatusForbidden {
		t.Fatalf("cross-origin redeliver: %d", r.status)
	}
	if firstDelivery(t, ws).State != store.WebhookFailed {
		t.Fatal("redelivered by a cross-origin POST")
	}
	r := f.post(path, nil)
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/ui/webhooks?done=") {
		t.Fatalf("redeliver: %d %v %s", r.status, r.header, r.body)
	}
	if got := firstDelivery(t, ws).State; got != store.WebhookPending {
		t.Fatalf("after redeliver the delivery is %s", got)
	}
	page = f.get(r.header.Get("Location"))
	mustContain(t, "the page after redeliver", page.body, "goes out again", "pending")
	mustNotContain(t, "the page after redeliver", page.body, "Redeliver</button>") // a pending delivery has no button

	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/ui/webhooks/erp/deliveries/999/redeliver", http.StatusNotFound},
		{"/ui/webhooks/nope/deliveries/1/redeliver", http.StatusNotFound},
		{"/ui/webhooks/erp/deliveries/x/redeliver", http.StatusBadRequest},
		{"/ui/webhooks/erp/deliveries/-1/redeliver", http.StatusBadRequest},
		{"/ui/webhooks/b%20d/deliveries/1/redeliver", http.StatusBadRequest},
	} {
		if r := f.post(tc.path, nil); r.status != tc.status {
			t.Errorf("POST %s: %d, want %d", tc.path, r.status, tc.status)
		}
	}
}

// firstDelivery is the webhook erp's newest delivery.
func firstDelivery(t *testing.T, ws store.WebhookStore) *store.WebhookDelivery {
	t.Helper()
	page, err := ws.WebhookDeliveries(t.Context(), &store.WebhookDeliveryListParams{WebhookID: "erp", Limit: 1})
	if err != nil || len(page.Deliveries) != 1 {
		t.Fatalf("deliveries: %+v, %v", page, err)
	}
	return page.Deliveries[0]
}

func TestEventsAndWebhooksPagesOff(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	for _, p := range []string{"/ui/events", "/ui/webhooks"} {
		if r := f.get(p); r.status != http.StatusNotFound {
			t.Errorf("%s without its config: %d", p, r.status)
		}
	}
	mustNotContain(t, "the instances page", f.get("/ui/").body, `href="/ui/events"`, `href="/ui/webhooks"`)
}

// TestEventsAndWebhooksScopes: signed out, both pages send to sign-in;
// every key reads them; only an admin key sees and uses redeliver.
func TestEventsAndWebhooksScopes(t *testing.T) {
	t.Parallel()
	a, keys := scopeKeys(t)
	f, ws := setupTriggers(t, a)
	path := "/ui/webhooks/erp/deliveries/" + strconv.FormatInt(firstDelivery(t, ws).ID, 10) + "/redeliver"
	for _, p := range []string{"/ui/events", "/ui/webhooks"} {
		if r := f.get(p); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/ui/login") {
			t.Errorf("signed out %s: %d %q, want a redirect to sign in", p, r.status, r.header.Get("Location"))
		}
	}
	if r := f.post(path, nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/ui/login") {
		t.Errorf("signed out redeliver: %d %q", r.status, r.header.Get("Location"))
	}
	for _, sc := range []auth.Scope{auth.ScopeRead, auth.ScopeOperate} {
		bearer := "Bearer " + keys[sc]
		if r := f.get("/ui/events", "Authorization", bearer); r.status != http.StatusOK || !strings.Contains(r.body, "event-e1") {
			t.Errorf("%s key: events page %d", sc, r.status)
		}
		r := f.get("/ui/webhooks", "Authorization", bearer)
		if r.status != http.StatusOK {
			t.Errorf("%s key: webhooks page %d", sc, r.status)
		}
		mustContain(t, string(sc)+" key's webhooks page", r.body, "receiver said no")
		mustNotContain(t, string(sc)+" key's webhooks page", r.body, "Redeliver</button>")
		if r := f.post(path, nil, "Authorization", bearer); r.status != http.StatusForbidden || !strings.Contains(r.body, "admin scope") {
			t.Errorf("%s key: redeliver %d", sc, r.status)
		}
	}
	if got := firstDelivery(t, ws).State; got != store.WebhookFailed {
		t.Fatalf("redelivered by a key without the admin scope: %s", got)
	}
	admin := "Bearer " + keys[auth.ScopeAdmin]
	mustContain(t, "the admin key's webhooks page", f.get("/ui/webhooks", "Authorization", admin).body, "Redeliver</button>")
	if r := f.post(path, nil, "Authorization", admin); r.status != http.StatusSeeOther {
		t.Fatalf("admin key: redeliver %d %s", r.status, r.body)
	}
	if got := firstDelivery(t, ws).State; got != store.WebhookPending {
		t.Fatalf("after the admin's redeliver: %s", got)
	}
}

// scopeKeys is an authenticator over a memory key store with one key per
// scope, named after it.
func scopeKeys(t *testing.T) (*auth.Authenticator, map[auth.Scope]string) {
	t.Helper()
	a, err := auth.New(auth.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[auth.Scope]string{}
	for _, sc := range auth.Scopes {
		if keys[sc], _, err = a.CreateKey(t.Context(), string(sc), sc, ""); err != nil {
			t.Fatal(err)
		}
	}
	return a, keys
}

// TestEventsPageNext follows the events page's "Next page" link: its query
// must reach the server as a query (not escaped into one value), with the
// type filter kept.
func TestEventsPageNext(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, &ordotest.Options{Start: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)})
	for i := range 3 {
		if _, _, err := env.Engine.Publish(t.Context(), ordo.PublishEvent{ID: "p" + strconv.Itoa(i), Type: "cart.created"}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := ui.New(ui.Config{Engine: env.Engine, Location: time.UTC, Events: true, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := serveFixture(t, env, h)
	page := f.get("/ui/events?type=cart.created")
	mustContain(t, "the first page", page.body, "event-p0", "event-p1") // oldest first
	_, rest, ok := strings.Cut(page.body, `<div class="pager"><a class="button secondary" href="`)
	if !ok {
		t.Fatalf("the first page has no next link: %s", page.body)
	}
	next, _, _ := strings.Cut(rest, `"`)
	next = strings.ReplaceAll(next, "&amp;", "&")
	if !strings.HasPrefix(next, "/ui/events?") || strings.Contains(next, "%3d") {
		t.Fatalf("next link %q, want /ui/events?cursor=...&type=...", next)
	}
	later := f.get(next)
	if later.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", next, later.status, later.body)
	}
	mustContain(t, "the next page", later.body, "event-p2")
	mustNotContain(t, "the next page", later.body, "event-p0")
}
