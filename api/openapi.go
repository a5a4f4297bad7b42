package api

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDocument is the OpenAPI 3.1 document of the whole HTTP API: the
// routes of this package and of those that add theirs (order, bulk). It is
// kept by hand beside the handlers; the tests check that it lists every
// route ordo serve registers and that their traffic matches it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.1 document of the HTTP API (JSON), as
// GET /v1/openapi.json serves it.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// openAPI serves the document. It needs the read scope, as every other
// route does: the API's shape is no secret, but an open route is one more
// thing a probe of the server learns from.
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(openAPIDocument)
	return err
}
