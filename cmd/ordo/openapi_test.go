package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
)

// servedRoutes starts `ordo serve` in this process with args, takes its
// API server once every route is registered and stops it.
func servedRoutes(t *testing.T, args ...string) *api.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var srv *api.Server
	serveHook = func(p *serverParts) {
		srv = p.api
		cancel()
	}
	t.Cleanup(func() { serveHook = nil })
	cmd := newServeCmd()
	cmd.SetArgs(append([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error"}, args...))
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("ordo serve: %v", err)
	}
	if srv == nil {
		t.Fatal("ordo serve stopped before serving")
	}
	return srv
}

// TestOpenAPIDocumentMatchesServedRoutes: every route ordo serve registers
// (API, orders, bulk, schedules, webhooks, keys, probes; not the
// dashboard) is an operation of api/openapi.json with the scope the route
// needs, and every operation of the document is served. A route added
// without its operation fails here: add it to api/openapi.json.
func TestOpenAPIDocumentMatchesServedRoutes(t *testing.T) {
	srv := servedRoutes(t)
	diff, err := openapitest.Drift(srv, api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if len(diff.Undocumented) > 0 {
		t.Errorf("routes ordo serve registers that api/openapi.json lacks or describes otherwise:\n  %s", strings.Join(diff.Undocumented, "\n  "))
	}
	if len(diff.Unserved) > 0 {
		t.Errorf("operations of api/openapi.json that ordo serve does not serve:\n  %s", strings.Join(diff.Unserved, "\n  "))
	}
}
