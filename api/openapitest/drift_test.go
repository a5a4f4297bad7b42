package openapitest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store/memory"
)

func newServer(t *testing.T) *api.Server {
	t.Helper()
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func ok(w http.ResponseWriter, _ *http.Request) error { return nil }

// TestDriftFindsUndocumentedRoutes: the routes package api registers are
// documented; a route added without the document, or with another scope
// than the document's, is reported; the document's operations of routes
// other packages add (orders, bulk) are unserved by api alone.
func TestDriftFindsUndocumentedRoutes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	diff, err := openapitest.Drift(srv, api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if len(diff.Undocumented) > 0 {
		t.Errorf("package api's own routes are not all documented:\n%s", strings.Join(diff.Undocumented, "\n"))
	}
	if !slices.Contains(diff.Unserved, "GET /v1/orders/{id}: in the document, served by no route") {
		t.Errorf("unserved = %q, want the order routes among them", diff.Unserved)
	}

	srv.Handle("GET /v1/extra", ok)
	srv.HandleScope("GET /v1/bulk", auth.ScopeAdmin, ok)
	srv.HandleScope("GET /v1/bulk/{job}", auth.ScopeRead, ok)
	diff, err = openapitest.Drift(srv, api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`GET /v1/bulk/{job}: not in the document`,
		`GET /v1/bulk: needs the admin scope, the document says "read" (want security [{"apiKey": ["admin"]}])`,
		`GET /v1/extra: not in the document`,
	}
	if !slices.Equal(diff.Undocumented, want) {
		t.Errorf("undocumented:\n%s\nwant:\n%s", strings.Join(diff.Undocumented, "\n"), strings.Join(want, "\n"))
	}
}
