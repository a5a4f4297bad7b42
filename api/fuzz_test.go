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
		// Found by hand against ordo serve (NUL reached PostgreSQL, Go type
		// names reached callers, unbounded text was stored).
		`{"fromStep":"a\u0000b"}`, `{"fromStep":"\udfff"}`, `{"type":"a\u0000","payload":{}}`,
		`{"flow":"a\u0000b","customer":{"email":"a@b.c"},"items":[{"sku":"x","quantity":1}]}`,
		`{"flow":"f","customer":{"name":"A\r\nBcc: x@y.z","email":"a@b.c"},"items":[{"sku":"x\u0000","quantity":9007199254740993}]}`,
		`{"flow":"f","customer":{"email":"a@b.c"},"items":[{"sku":"r","quantity":1,"product":{"template":"ring","parameters":{"size":[],"width":{}}}}]}`,
		`[{"stepDefinitionId":"a\u0000","type":"send-email","successStatus":"\u0007","options":{"recipients":["` +
			strings.Repeat(`a@b.c","`, 150) + `a@b.c"],"subject":"{{len 1}}","message":"{{index .Order.Items 99999}}"}}]`,
		"\ufeff{}", `{"id":"a","id":"b"}`, `{"params":-0,"id":"x"}`, `{"name":"k\u0000","scope":"admin"}`,
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
