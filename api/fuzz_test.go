package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequestBodies sends arbitrary bodies to every state-changing route
// of a guarded server (instances, flows, orders, keys) with an admin key:
// whatever the body, the answer is a JSON error or success, never a 5xx or
// a panic.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"id":"a","params":{"x":1}}`, `{"type":"t","payload":[1,2,3]}`, `{"fromStep":"s"}`,
		`{"flow":"f","customer":{"email":"a@b.c"},"items":[{"template":"vase","params":{"height":1e308}}]}`,
		`{"name":"k","scope":"admin"}`, `[{"stepDefinitionId":"a","type":"send-email"}]`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100), `{"a":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat("}", 71),
		"\xff\xfe", `{"id":"` + strings.Repeat("x", 300) + `"}`, `null`, `"s"`, `1e999999`, `{"id":1}{"id":2}`,
	} {
		f.Add(seed)
	}
	g := setupGuarded(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, rt := range g.srv.Routes() {
			method, path := concrete(rt.Pattern)
			if method == http.MethodGet || method == http.MethodHead {
				continue
			}
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+g.keys["admin"])
			rec := httptest.NewRecorder()
			g.srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s with body %q: %d %s", method, path, body, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("%s %s with body %q: Content-Type %q, want JSON", method, path, body, ct)
			}
		}
	})
}
