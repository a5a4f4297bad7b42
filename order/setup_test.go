package order_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/webhook"
)

// waitTimeout bounds every wait of these tests in real time.
const waitTimeout = 30 * time.Second

// signingSecret signs the test POSTs.
const signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// setupOptions configure setup; nil means every default.
type setupOptions struct {
	// respond answers the POSTs of consume-rest-api steps (default 200).
	respond ordertest.Respond
	// refuse answers the e-mails (default: accept).
	refuse ordertest.Refuse
	// noMailer starts the service without an SMTP server.
	noMailer bool
	// limits bound the orders (default: order's defaults).
	limits order.Limits
	// wrapFiles, when set, wraps the artifact store the service writes to.
	wrapFiles func(artifact.Store) artifact.Store
	// templateLimits bound the e-mail templates (default: email's).
	templateLimits email.Limits
	// tracer makes the spans of the engine, the service, its REST client
	// and its mailer (default: the global provider).
	tracer trace.TracerProvider
}

// fixture is what a test of a running order service needs: an engine on a
// virtual clock, the service and its HTTP API, the REST endpoint and the
// SMTP server the flows talk to.
type fixture struct {
	t     *testing.T
	env   *ordotest.Env
	svc   *order.Service
	api   *httptest.Server
	rest  *ordertest.Endpoint
	mail  *ordertest.MailServer
	files artifact.Store
}

func setup(t *testing.T, o *setupOptions) *fixture {
	t.Helper()
	if o == nil {
		o = &setupOptions{}
	}
	st := memory.New()
	env := ordotest.New(t, &ordotest.Options{Store: st, Timeout: waitTimeout, TracerProvider: o.tracer})
	files, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	f := &fixture{t: t, env: env, files: files,
		rest: ordertest.StartEndpoint(t, o.respond), mail: ordertest.StartMailServer(t, o.refuse)}
	var mailer *email.Sender
	if !o.noMailer {
		if mailer, err = email.New(email.Config{URL: f.mail.URL(), From: "Ordo Shop <shop@example.com>", TracerProvider: o.tracer}); err != nil {
			t.Fatal(err)
		}
	}
	var svcFiles artifact.Store = files
	if o.wrapFiles != nil {
		svcFiles = o.wrapFiles(files)
	}
	f.svc, err = order.New(order.Config{
		Engine: env.Engine, Store: st, Artifacts: svcFiles, Mailer: mailer, MailDomain: "shop.example.com",
		REST:   &rest.Client{SigningSecret: signingKey(), TracerProvider: o.tracer},
		Limits: o.limits, TemplateLimits: o.templateLimits, Logger: slog.New(slog.DiscardHandler),
		TracerProvider: o.tracer,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: env.Engine})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Routes(srv)
	f.api = httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(f.api.Close)
	return f
}

// seedFlow returns the seed's example flow (examples/orderflow/flow.json)
// verbatim except that its uri points at uri.
func seedFlow(t *testing.T, uri string) []byte {
	t.Helper()
	b, err := os.ReadFile("../examples/orderflow/flow.json")
	if err != nil {
		t.Fatal(err)
	}
	const seedURI = "https://httpbin.org/anything"
	if n := bytes.Count(b, []byte(seedURI)); n != 1 {
		t.Fatalf("the seed flow holds %s %d times, want once", seedURI, n)
	}
	return bytes.Replace(b, []byte(seedURI), []byte(uri), 1)
}

// apply applies a flow through the service, failing the test on error.
func (f *fixture) apply(name string, data []byte) *store.FlowVersion {
	f.t.Helper()
	v, _, _, err := f.svc.ApplyFlow(context.Background(), name, data)
	if err != nil {
		f.t.Fatalf("ApplyFlow %q: %v", name, err)
	}
	return v
}

// create creates an order through the service, failing the test on error.
func (f *fixture) create(req *order.CreateRequest) *order.Order {
	f.t.Helper()
	o, created, err := f.svc.CreateOrder(context.Background(), req)
	if err != nil {
		f.t.Fatalf("CreateOrder: %v", err)
	}
	if !created {
		f.t.Fatalf("CreateOrder %q: created = false", o.ID)
	}
	return o
}

// finish waits until the order's instance ends, advancing the virtual
// clock over retry delays, and returns the order.
func (f *fixture) finish(id string) *order.Order {
	f.t.Helper()
	f.env.WaitDone(id)
	o, err := f.svc.GetOrder(context.Background(), id)
	if err != nil {
		f.t.Fatalf("GetOrder %q: %v", id, err)
	}
	return o
}

// do sends an API request; body may be nil, a string or a value encoded as
// JSON. It returns the status and the body.
func (f *fixture) do(method, path string, body any) (int, []byte) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.api.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// decode decodes JSON into a new T, failing the test on error.
func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, raw, err)
	}
	return v
}

// apiError is the error envelope of the API.
type apiError struct {
	Error struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

// sampleOrder is an order with two parametric items and a plain one.
func sampleOrder(id, flowName string) *order.CreateRequest {
	return &order.CreateRequest{
		ID: id, Flow: flowName,
		Customer: order.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Items: []order.Item{
			{SKU: "RING-7", Quantity: 1, Product: &order.Product{Template: "ring", Parameters: map[string]any{"size": 7}}},
			{SKU: "GIFT-CARD", Quantity: 1},
			{SKU: "BOX-S", Quantity: 2, Product: &order.Product{Template: "box", Parameters: map[string]any{"length": 50, "width": 40, "height": 20}}},
		},
		Metadata: map[string]any{"channel": "web"},
	}
}

// statuses returns the statuses of a history with the steps that set
// them, as "status@step".
func statuses(h []order.StatusChange) []string {
	out := make([]string, len(h))
	for i, c := range h {
		out[i] = c.Status + "@" + c.Step
	}
	return out
}

// stepAttempts returns the attempts of each step of an order by key.
func stepAttempts(o *order.Order) map[string]int {
	m := map[string]int{}
	for _, s := range o.Steps {
		m[s.Key] = s.Attempts
	}
	return m
}

// mustJSON encodes v, failing the test on error.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signingKey is the key of signingSecret.
func signingKey() []byte {
	key, err := webhook.KeyOf(signingSecret)
	if err != nil {
		panic(err)
	}
	return key
}
