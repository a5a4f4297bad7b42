package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/sqlite"
)

// backend is a store the bounds tests run on, with the service's store
// interfaces.
type backend interface {
	store.Store
	store.FlowStore
}

// backends open a fresh, migrated store of each kind (PostgreSQL only
// with ORDO_TEST_POSTGRES_URL).
var backends = map[string]func(t *testing.T) backend{
	"memory": func(t *testing.T) backend { return memory.New() },
	"sqlite": func(t *testing.T) backend {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ordo.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	},
	"postgres": func(t *testing.T) backend {
		u, _ := pgtest.Schema(t)
		s, err := postgres.Open(t.Context(), u, &postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	},
}

// bounded is a server with the instance and order routes on one backend,
// small event limits (3 events, 64 payload bytes per instance) and the
// flow "local" applied.
type bounded struct {
	hs  *httptest.Server
	eng *ordo.Engine
	st  backend
}

// localFlow is a one-step flow; its orders fail (no SMTP server), which
// these tests do not mind.
const localFlow = `[{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
	"options": {"recipients": ["ops@example.com"], "subject": "Order {{.Order.ID}}", "message": "New order."}}]`

func setupBounded(t *testing.T, open func(t *testing.T) backend) *bounded {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st := open(t)
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, PollInterval: 10 * time.Millisecond,
		MaxEventsPerInstance: 3, MaxEventBytesPerInstance: 64})
	if err != nil {
		t.Fatal(err)
	}
	greet := ordo.NewWorkflow("greet", func(ctx context.Context, p params) (string, error) {
		return ordo.Do(ctx, "say", nil, func(ctx context.Context) (string, error) { return "hello " + p.Name, nil })
	})
	park := ordo.NewWorkflow("park", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.WaitForEvent[string](ctx, "wait", "never", time.Hour)
	})
	if err := e.Register(greet, park); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	files, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := order.New(order.Config{Engine: e, Store: st, Artifacts: files, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc.Routes(srv)
	if ws, ok := st.(store.WebhookStore); ok {
		srv.WebhookRoutes(ws, nil)
	}
	if _, _, _, err := svc.ApplyFlow(t.Context(), "local", []byte(localFlow)); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
		files.Close()
	})
	return &bounded{hs: hs, eng: e, st: st}
}

// errMessage returns an error answer's message, failing the test if it
// shows internal layers.
func errMessage(t *testing.T, out map[string]any) string {
	t.Helper()
	e, _ := out["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if msg == "" {
		t.Fatalf("no error message in %v", out)
	}
	for _, layer := range []string{"ordo:", "store:", "sqlite:", "postgres:", "memory:"} {
		if strings.Contains(msg, layer) {
			t.Errorf("error message %q shows the internal layer %q", msg, layer)
		}
	}
	return msg
}

// forEachBackend runs fn on a bounded server per backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, b *bounded)) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, setupBounded(t, open))
		})
	}
}

func TestForgedCursorIsInvalidArgument(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *bounded) {
		call(t, b.hs, "POST", "/v1/workflows/greet/instances", `{"id": "g1", "params": {"name": "Ann"}}`)
		if code, out := call(t, b.hs, "POST", "/v1/orders", `{"id": "ord-1", "flow": "local",
			"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`); code != http.StatusCreated {
			t.Fatalf("POST /v1/orders: %d %v", code, out)
		}
		if code, out := call(t, b.hs, "POST", "/v1/webhooks", `{"id": "erp", "url": "https://erp.example/hook",
			"events": ["instance.complete"], "secret": "whsec_`+strings.Repeat("QUJD", 8)+`"}`); code != http.StatusCreated {
			t.Fatalf("POST /v1/webhooks: %d %v", code, out)
		}
		// Every listing that takes a cursor.
		cursors := []string{"!!!", "bm90LWEtY3Vyc29y", b64("99999999999999999999/a"), b64("1/\xff"), b64("event/x"), strings.Repeat("A", 3000)}
		for _, c := range cursors {
			for _, path := range []string{"/v1/instances", "/v1/orders", "/v1/instances/g1/events", "/v1/events",
				"/v1/audit", "/v1/instances/g1/audit", "/v1/orders/ord-1/audit", "/v1/webhooks/erp/deliveries"} {
				code, out := call(t, b.hs, "GET", path+"?cursor="+url.QueryEscape(c), "")
				if code != http.StatusBadRequest || errCode(out) != api.CodeInvalidArgument {
					t.Errorf("GET %s with cursor %.30q: %d %v, want 400 invalid_argument", path, c, code, out)
					continue
				}
				if msg := errMessage(t, out); !strings.Contains(msg, "cursor") {
					t.Errorf("GET %s: message %q does not name the cursor", path, msg)
				}
			}
		}
	})
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestGenericCreateRefusesOrderFlows(t *testing.T) {
	t.Parallel()
	b := setupBounded(t, backends["memory"])
	code, out := call(t, b.hs, "POST", "/v1/workflows/flow%2Flocal/instances", `{"id": "poison", "params": {"x": 1}}`)
	if code != http.StatusBadRequest || errCode(out) != api.CodeInvalidArgument {
		t.Fatalf("generic create of an order flow: %d %v, want 400 invalid_argument", code, out)
	}
	if msg := errMessage(t, out); !strings.Contains(msg, "POST /v1/orders") || !strings.Contains(msg, `"flow/local"`) {
		t.Errorf("message %q does not name the workflow and point to POST /v1/orders", msg)
	}
	// Go callers cannot bypass it either, nor can a second reservation.
	_, err := b.eng.Create(t.Context(), "flow/local", json.RawMessage(`{"x":1}`), &ordo.CreateOptions{ID: "poison"})
	if !errorsIs(err, ordo.ErrInvalidArgument) {
		t.Errorf("Engine.Create of an order flow = %v, want ErrInvalidArgument", err)
	}
	if _, err := b.eng.ReservePrefix("flow/", ""); !errorsIs(err, ordo.ErrAlreadyExists) {
		t.Errorf("a second reservation of flow/ = %v, want ErrAlreadyExists", err)
	}
	if code, _ := call(t, b.hs, "GET", "/v1/instances/poison", ""); code != http.StatusNotFound {
		t.Errorf("GET the refused instance: %d, want 404", code)
	}
	// Orders are still created the way they are meant to be.
	code, out = call(t, b.hs, "POST", "/v1/orders", `{"id": "ord-1", "flow": "local",
		"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /v1/orders: %d %v", code, out)
	}
}

// TestListingsServeUnreadableRows: a flow instance whose params are not an
// order (stored before the generic route refused them) and a row whose
// error column does not decode are shown as unreadable, with their IDs;
// the rest of the page is served.
func TestListingsServeUnreadableRows(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *bounded) {
		ctx := t.Context()
		if _, err := b.st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "poison", Workflow: "flow/local",
			Params: json.RawMessage(`{"x":1}`), Now: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		code, out := call(t, b.hs, "POST", "/v1/orders", `{"id": "ord-1", "flow": "local",
			"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`)
		if code != http.StatusCreated {
			t.Fatalf("POST /v1/orders: %d %v", code, out)
		}
		for _, path := range []string{"/v1/orders", "/v1/orders?limit=1", "/v1/instances"} {
			code, out := call(t, b.hs, "GET", path, "")
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d %v", path, code, out)
			}
			rows := out["orders"]
			if rows == nil {
				rows = out["instances"]
			}
			seen := map[string]string{}
			for _, r := range rows.([]any) {
				m := r.(map[string]any)
				u, _ := m["unreadable"].(string)
				seen[m["id"].(string)] = u
			}
			if u, ok := seen["ord-1"]; !ok || u != "" {
				t.Errorf("GET %s: ord-1 missing or unreadable (%q): %v", path, u, out)
			}
			if path == "/v1/orders?limit=1" {
				continue // ord-1 is the newest
			}
			if u := seen["poison"]; strings.HasPrefix(path, "/v1/orders") && !strings.Contains(u, `"poison"`) {
				t.Errorf("GET %s: poison shown as %q, want unreadable naming its ID", path, u)
			}
		}
		code, out = call(t, b.hs, "GET", "/v1/orders/poison", "")
		if u, _ := out["unreadable"].(string); code != http.StatusOK || !strings.Contains(u, "x") {
			t.Errorf("GET /v1/orders/poison: %d %v, want 200 with unreadable", code, out)
		}
	})
}

func TestEventsOfFinishedInstancesRefused(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *bounded) {
		call(t, b.hs, "POST", "/v1/workflows/greet/instances", `{"id": "g1", "params": {"name": "Ann"}}`)
		waitStatus(t, b.hs, "g1", "complete")
		call(t, b.hs, "POST", "/v1/workflows/park/instances", `{"id": "p1"}`)
		waitStatus(t, b.hs, "p1", "waiting")
		call(t, b.hs, "POST", "/v1/instances/p1/terminate", "")
		for id, status := range map[string]string{"g1": "complete", "p1": "terminated"} {
			code, out := call(t, b.hs, "POST", "/v1/instances/"+id+"/events", `{"type": "approved", "payload": {"by": "Bob"}}`)
			if code != http.StatusConflict || errCode(out) != api.CodeInvalidTransition {
				t.Fatalf("event to a %s instance: %d %v, want 409 invalid_transition", status, code, out)
			}
			want := fmt.Sprintf("instance %q is %s: a finished instance accepts no events", id, status)
			if msg := errMessage(t, out); msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
			_, out = call(t, b.hs, "GET", "/v1/instances/"+id+"/events", "")
			if evs := out["events"].([]any); len(evs) != 0 {
				t.Errorf("a refused event was stored: %v", evs)
			}
		}
	})
}

func TestEventLimits(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *bounded) {
		for _, id := range []string{"count", "bytes"} {
			call(t, b.hs, "POST", "/v1/workflows/park/instances", `{"id": "`+id+`"}`)
			waitStatus(t, b.hs, id, "waiting")
		}
		for i := range 3 {
			if code, out := call(t, b.hs, "POST", "/v1/instances/count/events", fmt.Sprintf(`{"type": "note", "payload": %d}`, i)); code != http.StatusAccepted {
				t.Fatalf("event %d within the limits: %d %v", i, code, out)
			}
		}
		code, out := call(t, b.hs, "POST", "/v1/instances/count/events", `{"type": "note"}`)
		if code != http.StatusConflict || errCode(out) != api.CodeLimitExceeded {
			t.Fatalf("a 4th event: %d %v, want 409 limit_exceeded", code, out)
		}
		if msg := errMessage(t, out); !strings.Contains(msg, "3 events") || !strings.Contains(msg, "events per instance") {
			t.Errorf("message %q does not name the limit", msg)
		}
		// 64 bytes: 40 + 20 fit, 5 more do not.
		for _, n := range []int{38, 18} {
			body := fmt.Sprintf(`{"type": "note", "payload": "%s"}`, strings.Repeat("x", n)) // n+2 bytes of JSON
			if code, out := call(t, b.hs, "POST", "/v1/instances/bytes/events", body); code != http.StatusAccepted {
				t.Fatalf("a %d-byte payload within the limit: %d %v", n+2, code, out)
			}
		}
		code, out = call(t, b.hs, "POST", "/v1/instances/bytes/events", `{"type": "note", "payload": "abc"}`)
		if code != http.StatusConflict || errCode(out) != api.CodeLimitExceeded {
			t.Fatalf("an event past the byte limit: %d %v, want 409 limit_exceeded", code, out)
		}
		if msg := errMessage(t, out); !strings.Contains(msg, "event bytes per instance") || !strings.Contains(msg, "64") {
			t.Errorf("message %q does not name the byte limit", msg)
		}
	})
}

func TestEventsPaginated(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *bounded) {
		call(t, b.hs, "POST", "/v1/workflows/park/instances", `{"id": "p"}`)
		waitStatus(t, b.hs, "p", "waiting")
		for i := range 3 {
			call(t, b.hs, "POST", "/v1/instances/p/events", fmt.Sprintf(`{"type": "note", "payload": %d}`, i))
		}
		var got []float64
		cursor, pages := "", 0
		for {
			path := "/v1/instances/p/events?limit=2"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			code, out := call(t, b.hs, "GET", path, "")
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d %v", path, code, out)
			}
			pages++
			for _, ev := range out["events"].([]any) {
				got = append(got, ev.(map[string]any)["payload"].(float64))
			}
			next, _ := out["nextCursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if fmt.Sprint(got) != "[0 1 2]" || pages != 2 {
			t.Errorf("events %v in %d pages, want [0 1 2] in 2", got, pages)
		}
		for path, want := range map[string]int{
			"/v1/instances/p/events?limit=0":    http.StatusBadRequest,
			"/v1/instances/p/events?limit=1001": http.StatusBadRequest,
			"/v1/instances/nope/events":         http.StatusNotFound,
		} {
			if code, out := call(t, b.hs, "GET", path, ""); code != want {
				t.Errorf("GET %s: %d %v, want %d", path, code, out, want)
			} else {
				errMessage(t, out)
			}
		}
	})
}

// TestCallerMessages: refused operations say what is wrong in the caller's
// terms, without the layers the error went through.
func TestCallerMessages(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *bounded) {
		call(t, b.hs, "POST", "/v1/workflows/greet/instances", `{"id": "g1", "params": {"name": "Ann"}}`)
		waitStatus(t, b.hs, "g1", "complete")
		call(t, b.hs, "POST", "/v1/workflows/park/instances", `{"id": "p1"}`)
		waitStatus(t, b.hs, "p1", "waiting")
		tests := []struct {
			method, path, body string
			status             int
			message            string
		}{
			{"POST", "/v1/instances/g1/pause", "", 409, `instance "g1" is complete: pause needs a queued, running or waiting instance`},
			{"POST", "/v1/instances/g1/resume", "", 409, `instance "g1" is complete: resume needs a paused instance`},
			{"POST", "/v1/instances/p1/resume", "", 409, `instance "p1" is waiting: resume needs a paused instance`},
			{"POST", "/v1/instances/g1/terminate", "", 409, `instance "g1" is complete: terminate needs an instance that has not finished`},
			{"POST", "/v1/instances/g1/restart", `{"fromStep": "nope"}`, 404, `instance "g1" has no step "nope" to restart from`},
			{"GET", "/v1/instances/nope", "", 404, `instance "nope" does not exist`},
			{"POST", "/v1/instances/nope/pause", "", 404, `instance "nope" does not exist`},
			{"POST", "/v1/instances/nope/events", `{"type": "x"}`, 404, `instance "nope" does not exist`},
			{"POST", "/v1/workflows/nope/instances", `{}`, 404, `workflow "nope" is not registered`},
			{"POST", "/v1/workflows/greet/instances", `{"id": "g1"}`, 409, `instance "g1" already exists`},
		}
		for _, tc := range tests {
			code, out := call(t, b.hs, tc.method, tc.path, tc.body)
			if code != tc.status {
				t.Errorf("%s %s: %d %v, want %d", tc.method, tc.path, code, out, tc.status)
				continue
			}
			if msg := errMessage(t, out); msg != tc.message {
				t.Errorf("%s %s: message %q, want %q", tc.method, tc.path, msg, tc.message)
			}
		}
	})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
