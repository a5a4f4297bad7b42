package ordertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Request is one POST an Endpoint received.
type Request struct {
	// N counts the requests from 1.
	N              int
	Method, Path   string
	IdempotencyKey string
	// Signature is the Ordo-Signature header (see Header for the Standard
	// Webhooks ones).
	Signature string
	Header    http.Header
	Body      []byte
}

// Respond chooses the answer to request n. It runs in the server's
// handler, so it may block (for example until the request's context ends,
// which is when the client gave up). It returns the status and the body,
// sent as application/json.
type Respond func(r *http.Request, req *Request) (status int, body string)

// Endpoint is an httptest server that records every request and answers
// with its Respond function (default: 200 {"ok":true}).
type Endpoint struct {
	// URL is the server's base URL; requests to any path are recorded.
	URL string

	mu      sync.Mutex
	respond Respond
	reqs    []*Request
	changed chan struct{} // closed and replaced on every new request
}

// StartEndpoint starts an endpoint, closed when the test ends.
func StartEndpoint(t testing.TB, respond Respond) *Endpoint {
	t.Helper()
	e := &Endpoint{respond: respond, changed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// SetRespond replaces the answer function for the requests still to come.
func (e *Endpoint) SetRespond(respond Respond) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.respond = respond
}

func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	req := &Request{
		N: len(e.reqs) + 1, Method: r.Method, Path: r.URL.Path,
		IdempotencyKey: r.Header.Get("Idempotency-Key"), Signature: r.Header.Get("Ordo-Signature"),
		Header: r.Header.Clone(), Body: body,
	}
	e.reqs = append(e.reqs, req)
	close(e.changed)
	e.changed = make(chan struct{})
	respond := e.respond
	e.mu.Unlock()

	status, out := http.StatusOK, `{"ok":true}`
	if respond != nil {
		status, out = respond(r, req)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, out)
}

// Requests returns the requests received so far, in order.
func (e *Endpoint) Requests() []*Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Request(nil), e.reqs...)
}

// WaitRequests waits until at least n requests arrived and returns them;
// it fails the test after timeout.
func (e *Endpoint) WaitRequests(t testing.TB, n int, timeout time.Duration) []*Request {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		reqs, changed := append([]*Request(nil), e.reqs...), e.changed
		e.mu.Unlock()
		if len(reqs) >= n {
			return reqs
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("ordertest: endpoint got %d request(s) in %s, want %d", len(reqs), timeout, n)
		}
	}
}
