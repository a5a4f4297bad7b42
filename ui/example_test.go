package ui_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/ui"
)

// Mount the dashboard next to your own routes. `ordo serve` does the same
// on its API server.
func Example() {
	engine, err := ordo.NewEngine(ordo.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	dash, err := ui.New(ui.Config{Engine: engine})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ui/", dash)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ui/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(strings.Contains(rec.Body.String(), "No instances yet."))
	// Output:
	// 200 text/html; charset=utf-8
	// true
}
