package openapitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recordingT is a testing.TB that keeps what Errorf reports instead of
// failing the test.
type recordingT struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingT) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingT) reported() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

const instanceJSON = `{"id":"a","workflow":"w","status":"queued","createdAt":"2026-01-01T00:00:00Z",` +
	`"updatedAt":"2026-01-01T00:00:00Z","claims":0,"run":1}`

// TestHandlerFindsMismatches: each exchange that breaks the document is
// reported, each that keeps it is not.
func TestHandlerFindsMismatches(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		method, path string
		body         string
		status       int
		answer       string
		want         string // part of the report; "" for none
	}{
		{"a documented answer", "GET", "/v1/instances/a", "", 200, instanceJSON, ""},
		{"an undocumented field", "GET", "/v1/instances/a", "", 200,
			strings.Replace(instanceJSON, `"run":1`, `"run":1,"secret":"x"`, 1), "response does not match"},
		{"a wrong type", "GET", "/v1/instances/a", "", 200, strings.Replace(instanceJSON, `"run":1`, `"run":"1"`, 1), "response does not match"},
		{"an unknown status", "GET", "/v1/instances/a", "", 200, strings.Replace(instanceJSON, `"queued"`, `"sleeping"`, 1), "response does not match"},
		{"an undocumented status", "GET", "/v1/instances/a", "", 201, instanceJSON, "response does not match"},
		{"a documented error", "GET", "/v1/instances/a", "", 404, `{"error":{"code":"not_found","message":"no"}}`, ""},
		{"an error outside the envelope", "GET", "/v1/instances/a", "", 404, `{"message":"no"}`, "response does not match"},
		{"an unknown error code", "GET", "/v1/instances/a", "", 404, `{"error":{"code":"nope","message":"no"}}`, "response does not match"},
		{"a route the document lacks", "GET", "/v1/nowhere", "", 200, `{}`, "route the document lacks"},
		{"a refused route the document lacks", "GET", "/v1/nowhere", "", 404, `{"error":{"code":"not_found","message":"no route"}}`, ""},
		{"an unknown route's bad error", "DELETE", "/v1/workflows", "", 405, `{"error":"no"}`, "not the Error envelope"},
		{"a bad request accepted", "POST", "/v1/instances/a/events", `{"payload":1}`, 202, `{"status":"accepted"}`, "accepted a request the document refuses"},
		{"a bad request refused", "POST", "/v1/instances/a/events", `{"payload":1}`, 400, `{"error":{"code":"invalid_argument","message":"type is required"}}`, ""},
		{"a bad id accepted", "GET", "/v1/instances/-a", "", 200, instanceJSON, "accepted a request the document refuses"},
		{"a good request", "POST", "/v1/instances/a/events", `{"type":"paid"}`, 202, `{"status":"accepted"}`, ""},
		{"the dashboard", "GET", "/ui/anything", "", 200, `<html>`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt := &recordingT{TB: t}
			h := Handler(rt, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.answer)
			}))
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			req := httptest.NewRequest(c.method, c.path, body)
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			got := rt.reported()
			switch {
			case c.want == "" && len(got) > 0:
				t.Errorf("reported a matching exchange:\n%s", strings.Join(got, "\n"))
			case c.want != "" && len(got) == 0:
				t.Errorf("did not report it, want %q", c.want)
			case c.want != "" && !strings.Contains(got[0], c.want):
				t.Errorf("reported %q, want it to say %q", got[0], c.want)
			}
		})
	}
}
