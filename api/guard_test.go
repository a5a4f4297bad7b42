package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// guarded is a server with every route of `ordo serve` (instances, flows,
// orders, keys), authentication on, and one key of each scope.
type guarded struct {
	t    testing.TB
	hs   *httptest.Server
	srv  *api.Server
	st   guardedStore
	keys map[string]string // credential name -> key
}

// guardedStore is what setupGuarded needs of a backend.
type guardedStore interface {
	backend
	store.KeyStore
	store.ScheduleStore
	store.WebhookStore
}

// setupGuarded is setupGuardedOn a memory store.
func setupGuarded(t testing.TB) *guarded { return setupGuardedOn(t, memory.New()) }

func setupGuardedOn(t testing.TB, st guardedStore) *guarded {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log, Auth: a, Audit: st, AllowedHosts: []string{"127.0.0.1", "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	svc, err := order.New(order.Config{Engine: e, Store: st, Artifacts: files, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc.Routes(srv)
	bs, err := bulk.New(bulk.Config{Engine: e, Orders: svc, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	bs.Routes(srv)
	// Every other resource `ordo serve` mounts.
	sch, err := schedule.New(schedule.Config{Engine: e, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv.ScheduleRoutes(sch)
	srv.WebhookRoutes(st, nil)
	g := &guarded{t: t, srv: srv, st: st, keys: map[string]string{"wrong": "ordo_" + strings.Repeat("x", 43)}}
	ctx := context.Background()
	for _, sc := range auth.Scopes {
		key, _, err := a.CreateKey(ctx, string(sc), sc, "")
		if err != nil {
			t.Fatal(err)
		}
		g.keys[string(sc)] = key
	}
	revoked, _, err := a.CreateKey(ctx, "gone", auth.ScopeAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RevokeKey(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	g.keys["revoked"] = revoked
	g.hs = httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(func() {
		g.hs.Close()
		_ = srv.Close(context.Background())
	})
	return g
}

// do sends a request with the named credential ("" for none) and returns
// the response with its body read.
func (g *guarded) do(cred, method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	g.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, g.hs.URL+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+g.keys[cred])
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v // the client sends Request.Host, not a Host header
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// concrete turns a route pattern into a method and a path with ids.
func concrete(pattern string) (string, string) {
	method, path, _ := strings.Cut(pattern, " ")
	r := strings.NewReplacer("{id}", "x-1", "{name}", "n-1", "{deliveryId}", "d-1", "{action}", "pause")
	return method, r.Replace(path)
}

func code(t *testing.T, b []byte) string {
	t.Helper()
	var out api.ErrorResponse
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, b)
	}
	return out.Error.Code
}

func TestEveryRouteNeedsItsScope(t *testing.T) {
	for _, name := range []string{"memory", "sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			testEveryRouteNeedsItsScope(t, setupGuardedOn(t, backends[name](t).(guardedStore)))
		})
	}
}

func testEveryRouteNeedsItsScope(t *testing.T, g *guarded) {
	routes := g.srv.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered: %v", len(routes), routes)
	}
	want := map[string]auth.Scope{"PUT /v1/flows/{name}": auth.ScopeAdmin, "POST /v1/keys": auth.ScopeAdmin,
		"POST /v1/orders": auth.ScopeOperate, "GET /v1/orders": auth.ScopeRead, "POST /v1/instances/{id}/terminate": auth.ScopeOperate,
		"GET /v1/audit": auth.ScopeAdmin, "GET /v1/instances/{id}/audit": auth.ScopeRead, "GET /v1/orders/{id}/audit": auth.ScopeRead}
	for _, rt := range routes {
		if sc, ok := want[rt.Pattern]; ok && sc != rt.Scope {
			t.Errorf("%s needs %s, want %s", rt.Pattern, rt.Scope, sc)
		}
	}
	for _, rt := range routes {
		method, path := concrete(rt.Pattern)
		body := ""
		if method != http.MethodGet && method != http.MethodHead && method != http.MethodDelete {
			body = "{}"
		}
		for _, cred := range []string{"", "wrong", "revoked"} {
			resp, b := g.do(cred, method, path, body, nil)
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") ||
				code(t, b) != api.CodeUnauthenticated {
				t.Errorf("%s %s with %q key: %d %q %s, want 401 with WWW-Authenticate: Bearer", method, path, cred, resp.StatusCode,
					resp.Header.Get("WWW-Authenticate"), b)
			}
		}
		for _, sc := range auth.Scopes {
			resp, b := g.do(string(sc), method, path, body, nil)
			switch {
			case !sc.Allows(rt.Scope):
				if resp.StatusCode != http.StatusForbidden || code(t, b) != api.CodeForbidden || !strings.Contains(string(b), string(rt.Scope)) {
					t.Errorf("%s %s with a %s key: %d %s, want 403 naming %s", method, path, sc, resp.StatusCode, b, rt.Scope)
				}
			case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500:
				t.Errorf("%s %s with a %s key: %d %s, want it served", method, path, sc, resp.StatusCode, b)
			}
		}
	}
	// Probes stay open.
	if resp, b := g.do("", http.MethodGet, "/healthz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz without a key: %d %s", resp.StatusCode, b)
	}
}

func TestStateChangingRoutesRefuseBrowsersAndOtherBodies(t *testing.T) {
	g := setupGuarded(t)
	for _, rt := range g.srv.Routes() {
		method, path := concrete(rt.Pattern)
		if method == http.MethodGet || method == http.MethodHead {
			continue
		}
		// A page on another site posting with the operator's browser.
		resp, b := g.do("admin", method, path, "{}", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
		if resp.StatusCode != http.StatusForbidden || code(t, b) != api.CodeCrossOrigin {
			t.Errorf("cross-site %s %s: %d %s, want 403 cross_origin", method, path, resp.StatusCode, b)
		}
		resp, b = g.do("admin", method, path, "{}", map[string]string{"Origin": "https://evil.example"})
		if resp.StatusCode != http.StatusForbidden || code(t, b) != api.CodeCrossOrigin {
			t.Errorf("%s %s with a foreign Origin: %d %s, want 403 cross_origin", method, path, resp.StatusCode, b)
		}
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
			resp, b = g.do("admin", method, path, "{}", map[string]string{"Content-Type": ct})
			if resp.StatusCode != http.StatusUnsupportedMediaType || code(t, b) != api.CodeUnsupportedMediaType {
				t.Errorf("%s %s as %s: %d %s, want 415", method, path, ct, resp.StatusCode, b)
			}
		}
	}
	// DNS rebinding: a name that is not the server's.
	resp, b := g.do("admin", http.MethodGet, "/v1/instances", "", map[string]string{"Host": "evil.example"})
	if resp.StatusCode != http.StatusForbidden || code(t, b) != api.CodeHostNotAllowed {
		t.Errorf("GET with Host evil.example: %d %s, want 403 host_not_allowed", resp.StatusCode, b)
	}
	if resp, b := g.do("", http.MethodGet, "/healthz", "", map[string]string{"Host": "10.1.2.3:8080"}); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with the pod's address as Host: %d %s", resp.StatusCode, b)
	}
}

func TestBodiesAndAnswersAreBounded(t *testing.T) {
	g := setupGuarded(t)
	deep := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	resp, b := g.do("admin", http.MethodPost, "/v1/orders", `{"flow":"f","metadata":`+deep+`}`, nil)
	if resp.StatusCode != http.StatusBadRequest || code(t, b) != api.CodeJSONTooDeep || !strings.Contains(string(b), "/metadata/a/a") {
		t.Errorf("100-deep metadata: %d %s, want 400 json_too_deep naming the path", resp.StatusCode, b)
	}
	deepArr := `{"params":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	resp, b = g.do("admin", http.MethodPost, "/v1/workflows/w/instances", deepArr, nil)
	if resp.StatusCode != http.StatusBadRequest || code(t, b) != api.CodeJSONTooDeep || !strings.Contains(string(b), "/params/0/0") {
		t.Errorf("5000-deep array: %d %s, want 400 json_too_deep", resp.StatusCode, b)
	}
	// Ids in paths follow the one id rule.
	for _, p := range []string{"/v1/instances/a%20b", "/v1/orders/" + strings.Repeat("x", 201), "/v1/flows/a%2Fb"} {
		resp, b := g.do("admin", http.MethodGet, p, "", nil)
		if resp.StatusCode != http.StatusBadRequest || code(t, b) != api.CodeInvalidArgument {
			t.Errorf("GET %s: %d %s, want 400 invalid_argument", p, resp.StatusCode, b)
		}
	}
	// Answers are compact unless asked.
	resp, b = g.do("read", http.MethodGet, "/v1/instances", "", nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), "\n  ") {
		t.Errorf("GET /v1/instances: %d %q, want compact JSON", resp.StatusCode, b)
	}
	resp, b = g.do("read", http.MethodGet, "/v1/instances?pretty=1", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "\n  ") {
		t.Errorf("GET /v1/instances?pretty=1: %d %q, want indented JSON", resp.StatusCode, b)
	}
	// Unknown routes and methods answer in the JSON error format.
	resp, b = g.do("read", http.MethodGet, "/v1/nothing-here", "", nil)
	if resp.StatusCode != http.StatusNotFound || code(t, b) != api.CodeNotFound {
		t.Errorf("unknown route: %d %s", resp.StatusCode, b)
	}
	resp, b = g.do("admin", http.MethodPatch, "/v1/instances", "", nil)
	if resp.StatusCode != http.StatusMethodNotAllowed || code(t, b) != api.CodeMethodNotAllowed || resp.Header.Get("Allow") == "" {
		t.Errorf("PATCH /v1/instances: %d %s, want 405 with Allow", resp.StatusCode, b)
	}
}

func TestKeysRoutes(t *testing.T) {
	g := setupGuarded(t)
	resp, b := g.do("admin", http.MethodPost, "/v1/keys", `{"name":"ci","scope":"read"}`, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/keys: %d %s", resp.StatusCode, b)
	}
	var created struct {
		Name, Scope, Key string
	}
	if err := json.Unmarshal(b, &created); err != nil || created.Name != "ci" || created.Scope != "read" || !strings.HasPrefix(created.Key, auth.KeyPrefix) {
		t.Fatalf("POST /v1/keys answered %s (%v)", b, err)
	}
	g.keys["ci"] = created.Key
	if resp, b := g.do("ci", http.MethodGet, "/v1/instances", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("new key: %d %s", resp.StatusCode, b)
	}
	resp, b = g.do("admin", http.MethodGet, "/v1/keys", "", nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), created.Key) || strings.Contains(string(b), auth.HashKey(created.Key)) {
		t.Fatalf("GET /v1/keys: %d %s: must list keys without the key or its hash", resp.StatusCode, b)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"name":"ci","scope":"read"}`, api.CodeAlreadyExists},
		{`{"name":"x y","scope":"read"}`, api.CodeInvalidArgument},
		{`{"name":"z","scope":"root"}`, api.CodeInvalidArgument},
		{`{"scope":"read"}`, api.CodeInvalidArgument},
	} {
		if _, b := g.do("admin", http.MethodPost, "/v1/keys", tc.body, nil); code(t, b) != tc.want {
			t.Errorf("POST /v1/keys %s: %s, want %s", tc.body, b, tc.want)
		}
	}
	if resp, b := g.do("admin", http.MethodDelete, "/v1/keys/ci", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE /v1/keys/ci: %d %s", resp.StatusCode, b)
	}
	if resp, b := g.do("ci", http.MethodGet, "/v1/instances", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d %s, want 401 at once", resp.StatusCode, b)
	}
	// Every state-changing request is recorded with its key.
	if err := g.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := g.st.AuditList(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var byAdmin int
	for _, e := range page.Entries {
		if e.Key == "admin" && e.Method == http.MethodPost && e.Path == "/v1/keys" {
			byAdmin++
		}
	}
	if byAdmin != 5 {
		t.Errorf("audit entries of admin's POST /v1/keys: %d, want 5: %+v", byAdmin, page.Entries)
	}
}

func TestDashboardRequestsAudited(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	st := memory.New()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log, Audit: st})
	if err != nil {
		t.Fatal(err)
	}
	// A stand-in for the dashboard, which authenticates its own requests.
	srv.HandleHTTP("/ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = auth.WithPrincipal(r.Context(), &auth.Principal{Name: "ops", Scope: auth.ScopeOperate})
		w.WriteHeader(http.StatusSeeOther)
	}))
	hs := httptest.NewServer(srv)
	defer hs.Close()
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/ui/instances/x/pause", strings.NewReader("a=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := st.AuditList(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 || page.Entries[0].Key != "ops" || page.Entries[0].Status != http.StatusSeeOther ||
		page.Entries[0].Path != "/ui/instances/x/pause" {
		t.Fatalf("audit entries: %+v, want the dashboard's POST by ops", page.Entries)
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	g := setupGuarded(t)
	for _, tc := range []struct{ path, body, want string }{
		{"/v1/workflows/w/instances", `{"id":1}`, `field \"id\": expected a string, got a JSON number`},
		{"/v1/workflows/w/instances", `{"nope":1}`, `unknown field \"nope\"`},
		{"/v1/workflows/w/instances", `{"id":`, `ends before its value is complete`},
		{"/v1/workflows/w/instances", `{"id" "x"}`, `invalid JSON at byte`},
		{"/v1/orders", `{"items":[{"quantity":"2"}]}`, `field \"items.quantity\": expected an integer, got a JSON string`},
	} {
		resp, b := g.do("admin", http.MethodPost, tc.path, tc.body, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) || strings.Contains(string(b), "Go struct") {
			t.Errorf("POST %s %s: %d %s, want 400 with %q", tc.path, tc.body, resp.StatusCode, b, tc.want)
		}
	}
}
