package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store/memory"
)

// BenchmarkGuards measures what the request checks cost: the same cheap
// route served open and with every check on (key, scope, Host, origin,
// content type, depth).
func BenchmarkGuards(b *testing.B) {
	body := `{"params":{"n":1,"payload":"` + strings.Repeat("x", 100) + `"}}`
	open := func() (http.Handler, string) {
		e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		srv, err := api.New(api.Config{Engine: e, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		return srv, ""
	}
	guardedSrv := func() (http.Handler, string) {
		g := setupGuarded(b)
		return g.srv, g.keys["operate"]
	}
	for _, tc := range []struct {
		name string
		make func() (http.Handler, string)
	}{{"open", open}, {"guarded", guardedSrv}} {
		b.Run(tc.name, func(b *testing.B) {
			h, key := tc.make()
			b.ReportAllocs()
			for b.Loop() {
				// An unknown workflow: the request passes every check, then
				// the handler answers at once without touching the store.
				req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/v1/workflows/none/instances", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusNotFound {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
