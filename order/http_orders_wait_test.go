package order_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/store/sqlite"
)

// orderStore is a store the order service runs on.
type orderStore interface {
	store.Store
	store.FlowStore
}

// waitStores open the stores the ?wait= tests of orders run on.
var waitStores = map[string]func(t *testing.T) orderStore{
	"memory": func(t *testing.T) orderStore { return memory.New() },
	"sqlite": func(t *testing.T) orderStore {
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
}

// waitFixture is an order service on a real clock whose engine notifies
// the API's Waiters, with the flows "sent" (one POST to an endpoint that
// answers once release closes) and "mailed" (an e-mail step without SMTP
// server: the flow errors at once).
type waitFixture struct {
	*fixture
	waiters *api.Waiters
	release chan struct{}
}

func setupWait(t *testing.T, open func(t *testing.T) orderStore) *waitFixture {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st := open(t)
	wf := &waitFixture{waiters: api.NewWaiters(), release: make(chan struct{})}
	eng, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, PollInterval: 10 * time.Millisecond, OnFinish: wf.waiters.Notify})
	if err != nil {
		t.Fatal(err)
	}
	files, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, files: files, rest: ordertest.StartEndpoint(t, holdUntil(wf.release))}
	f.svc, err = order.New(order.Config{Engine: eng, Store: st, Artifacts: files, REST: &rest.Client{}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: eng, Logger: log, Waiters: wf.waiters, MaxWait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Routes(srv)
	f.apply("sent", []byte(`[{"stepDefinitionId": "post", "type": "consume-rest-api", "successStatus": "Sent", "options": {"uri": "`+f.rest.URL+`"}}]`))
	f.apply("mailed", []byte(localMailFlow))
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.api = httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(func() {
		f.api.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Stop(ctx)
		files.Close()
	})
	wf.fixture = f
	return wf
}

// localMailFlow is a one-step e-mail flow.
const localMailFlow = `[{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
	"options": {"recipients": ["ops@example.com"], "subject": "Order {{.Order.ID}}", "message": "New order."}}]`

// waitOrder is an order of flow with id.
func waitOrder(id, flow string) string {
	return `{"id": "` + id + `", "flow": "` + flow + `", "customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "RING-7", "quantity": 1}]}`
}

func TestHTTPCreateOrderWait(t *testing.T) {
	t.Parallel()
	for name, open := range waitStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setupWait(t, open)

			// An errored flow: 200 with the order and its error.
			status, raw := f.do("POST", "/v1/orders?wait=20s", waitOrder("E-1", "mailed"))
			if o := decode[order.Order](t, raw); status != http.StatusOK || o.InstanceStatus != ordo.StatusErrored || o.Error == nil {
				t.Errorf("errored order with wait: %d %s; want 200 with its error", status, raw)
			}

			// Not finished in time: 202 with the order as it stands.
			status, raw = f.do("POST", "/v1/orders?wait=100ms", waitOrder("S-1", "sent"))
			if o := decode[order.Order](t, raw); status != http.StatusAccepted || o.ID != "S-1" || o.InstanceStatus.Terminal() {
				t.Errorf("order not finished in time: %d %s; want 202", status, raw)
			}

			// The same create again waits for the first one's flow.
			type answer struct {
				status int
				raw    []byte
			}
			got := make(chan answer, 1)
			go func() {
				status, raw := f.do("POST", "/v1/orders?wait=20s", waitOrder("S-1", "sent"))
				got <- answer{status, raw}
			}()
			waitUntil(t, "the repeat to wait", func() bool { return f.waiters.Waiting() == 1 })
			close(f.release)
			a := <-got
			if o := decode[order.Order](t, a.raw); a.status != http.StatusOK || o.InstanceStatus != ordo.StatusComplete || o.Status != "Sent" {
				t.Errorf("repeated create with wait: %d %s; want 200, complete and Sent", a.status, a.raw)
			}
			if n := len(f.rest.Requests()); n != 1 {
				t.Errorf("endpoint got %d POSTs, want 1", n)
			}

			// A finished order at once, and without wait the answers of old.
			status, _ = f.do("POST", "/v1/orders?wait=20s", waitOrder("S-2", "sent"))
			if status != http.StatusOK {
				t.Errorf("order finishing in time: %d, want 200", status)
			}
			if status, raw = f.do("POST", "/v1/orders", waitOrder("S-3", "sent")); status != http.StatusCreated {
				t.Errorf("create without wait: %d %s, want 201", status, raw)
			}
			if status, raw = f.do("POST", "/v1/orders?wait=20s", strings.Replace(waitOrder("S-1", "sent"), `"quantity": 1`, `"quantity": 2`, 1)); status != http.StatusConflict {
				t.Errorf("same id, other document, with wait: %d %s, want 409", status, raw)
			}
			if n := f.waiters.Waiting(); n != 0 {
				t.Errorf("%d waits left registered", n)
			}
		})
	}
}

func TestHTTPCreateOrderWaitChecked(t *testing.T) {
	t.Parallel()
	f := setupWait(t, waitStores["memory"])
	for _, v := range []string{"-1s", "abc", "1h", "31s", ""} {
		status, raw := f.do("POST", "/v1/orders?wait="+v, waitOrder("B-1", "sent"))
		if e := decode[apiError](t, raw); status != http.StatusBadRequest || e.Error.Code != api.CodeInvalidArgument || !strings.Contains(e.Error.Message, "wait") {
			t.Errorf("wait=%q: %d %s; want 400 invalid_argument naming wait", v, status, raw)
		}
	}
	if status, raw := f.do("GET", "/v1/orders/B-1", nil); status != http.StatusNotFound {
		t.Errorf("an order was created by a refused wait: %d %s", status, raw)
	}
}

// waitUntil polls cond until it holds, failing after waitTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
