package rest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/webhook"
)

// fixedNow is the clock of every test client.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// received is one request as the test server saw it.
type received struct {
	Header http.Header
	Body   []byte
}

// bundle is what a test needs: a server with a replaceable handler, the
// requests it received and a client pointed at it.
type bundle struct {
	srv    *httptest.Server
	client *rest.Client

	handler http.HandlerFunc

	mu       sync.Mutex
	requests []received
}

func setup(t *testing.T, h http.HandlerFunc) *bundle {
	t.Helper()
	b := &bundle{handler: h}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		b.mu.Lock()
		b.requests = append(b.requests, received{Header: r.Header.Clone(), Body: body})
		b.mu.Unlock()
		b.handler(w, r)
	}))
	t.Cleanup(b.srv.Close)
	b.client = &rest.Client{HTTP: b.srv.Client(), Now: func() time.Time { return fixedNow }}
	return b
}

func (b *bundle) received() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.requests...)
}

func (b *bundle) request(path string) *rest.Request {
	return &rest.Request{URL: b.srv.URL + path, Body: []byte(`{"order":"o-1"}`), IdempotencyKey: "inst-1/notify"}
}

func respond(status int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestPostSuccessKeepsJSONBody(t *testing.T) {
	t.Parallel()
	b := setup(t, respond(201, map[string]string{"Content-Type": "application/json", "X-Request-Id": "r-9"}, `{"id":"pay-1","amount":1250}`))

	resp, err := b.client.Post(context.Background(), b.request("/payments"))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if resp.Status != 201 || string(resp.Body) != `{"id":"pay-1","amount":1250}` || resp.Header.Get("X-Request-Id") != "r-9" {
		t.Fatalf("response = %d %s %v", resp.Status, resp.Body, resp.Header)
	}
	reqs := b.received()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1", len(reqs))
	}
	h := reqs[0].Header
	for name, want := range map[string]string{
		"Content-Type":      "application/json",
		"Idempotency-Key":   "inst-1/notify",
		"User-Agent":        "ordo/1",
		"Ordo-Signature":    "",
		"Webhook-Id":        "",
		"Webhook-Signature": "",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if string(reqs[0].Body) != `{"order":"o-1"}` {
		t.Errorf("body = %s", reqs[0].Body)
	}
}

func TestPostSignedRequestVerifiesAtReceiver(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, err := webhook.KeyOf(secret)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ordo bool
	}{{"standard webhooks only", false}, {"with Ordo-Signature", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verified := make(chan error, 2)
			b := setup(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				verified <- webhook.Verify(key, r.Header, body, time.Minute, fixedNow.Add(10*time.Second))
				if tt.ordo {
					verified <- rest.VerifySignature(key, r.Header.Get(rest.SignatureHeader), body, time.Minute, fixedNow.Add(10*time.Second))
				}
				w.WriteHeader(http.StatusNoContent)
			})
			b.client.SigningSecret = key
			b.client.OrdoSignature = tt.ordo

			req := b.request("/hook")
			req.Headers = http.Header{"X-Shop": {"s-1"}, "Idempotency-Key": {"overridden"}, "Ordo-Signature": {"forged"},
				"Webhook-Id": {"forged"}, "Webhook-Signature": {"v1,forged"}}
			for attempt := range 2 {
				resp, err := b.client.Post(context.Background(), req)
				if err != nil {
					t.Fatalf("Post: %v", err)
				}
				if resp.Status != http.StatusNoContent || resp.Body != nil {
					t.Fatalf("response = %d %q, want 204 with nil body", resp.Status, resp.Body)
				}
				for range len(verified) {
					if err := <-verified; err != nil {
						t.Fatalf("attempt %d: receiver: %v", attempt, err)
					}
				}
			}
			for _, got := range b.received() {
				h := got.Header
				if got := h.Get("Idempotency-Key"); got != "inst-1/notify" {
					t.Errorf("Idempotency-Key = %q, want the request's key", got)
				}
				if got := h.Get(webhook.HeaderID); got != "inst-1/notify" {
					t.Errorf("webhook-id = %q, want the idempotency key on every attempt", got)
				}
				if got := h.Get("X-Shop"); got != "s-1" {
					t.Errorf("X-Shop = %q, want s-1", got)
				}
				if got, want := h.Get(webhook.HeaderSignature), webhook.Sign(key, "inst-1/notify", fixedNow, req.Body); got != want {
					t.Errorf("webhook-signature = %q, want %q", got, want)
				}
				want := ""
				if tt.ordo {
					want = rest.Sign(key, req.Body, fixedNow)
				}
				if got := h.Get(rest.SignatureHeader); got != want {
					t.Errorf("Ordo-Signature = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestPostRetryableStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		wantDelay time.Duration
		wantAfter bool
	}{
		{name: "500", status: 500},
		{name: "502", status: 502},
		{name: "408", status: 408},
		{name: "503 Retry-After seconds", status: 503, header: map[string]string{"Retry-After": "7"}, wantDelay: 7 * time.Second, wantAfter: true},
		{name: "429 Retry-After date", status: 429, header: map[string]string{"Retry-After": fixedNow.Add(90 * time.Second).Format(http.TimeFormat)}, wantDelay: 90 * time.Second, wantAfter: true},
		{name: "429 Retry-After past date", status: 429, header: map[string]string{"Retry-After": fixedNow.Add(-time.Hour).Format(http.TimeFormat)}, wantDelay: 0, wantAfter: true},
		{name: "503 malformed Retry-After", status: 503, header: map[string]string{"Retry-After": "soon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, respond(tt.status, tt.header, "try later"))
			_, err := b.client.Post(context.Background(), b.request("/x"))
			if err == nil {
				t.Fatal("Post succeeded, want an error")
			}
			if ordo.IsNonRetryable(err) {
				t.Fatalf("error is non-retryable: %v", err)
			}
			d, ok := ordo.RetryAfterDelay(err)
			if ok != tt.wantAfter || d != tt.wantDelay {
				t.Fatalf("RetryAfterDelay = %s, %t; want %s, %t", d, ok, tt.wantDelay, tt.wantAfter)
			}
			var se *rest.StatusError
			if !errors.As(err, &se) || se.Status != tt.status || !se.Temporary() {
				t.Fatalf("error %v: want a temporary *StatusError with status %d", err, tt.status)
			}
		})
	}
}

func TestPostNonRetryableStatuses(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 404, 409, 422} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			b := setup(t, respond(status, map[string]string{"Retry-After": "5"}, `{"error":"bad order"}`))
			resp, err := b.client.Post(context.Background(), b.request("/x"))
			if !ordo.IsNonRetryable(err) {
				t.Fatalf("error %v: want non-retryable", err)
			}
			if _, ok := ordo.RetryAfterDelay(err); ok {
				t.Errorf("non-retryable error carries a Retry-After delay")
			}
			if resp == nil || resp.Status != status || string(resp.Body) != `{"error":"bad order"}` {
				t.Errorf("response = %+v, want status and body alongside the error", resp)
			}
		})
	}
}

func TestPostErrorMessageNamesURLStatusAndExcerpt(t *testing.T) {
	t.Parallel()
	body := `{"error":"out of stock","detail":"` + strings.Repeat("x", 500) + `"}`
	b := setup(t, respond(400, nil, body))
	req := b.request("/orders?token=secret")
	_, err := b.client.Post(context.Background(), req)
	msg := err.Error()
	for _, want := range []string{b.srv.URL + "/orders?…", "status 400 Bad Request", `{"error":"out of stock"`, "…"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "secret") || len(msg) > 400 {
		t.Errorf("error %q leaks the query or quotes too much", msg)
	}
}

func TestPostDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
	})
	// Even a client configured to follow redirects must not.
	b.client.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}

	_, err := b.client.Post(context.Background(), b.request("/old"))
	if !ordo.IsNonRetryable(err) {
		t.Fatalf("error %v: want non-retryable", err)
	}
	if !strings.Contains(err.Error(), "/moved") || !strings.Contains(err.Error(), "307") {
		t.Errorf("error %q does not name the status and Location", err)
	}
	if n := len(b.received()); n != 1 {
		t.Errorf("server got %d requests, want 1 (no redirect followed)", n)
	}
}

func TestPostConnectionRefusedIsRetryable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	c := &rest.Client{}
	_, err = c.Post(context.Background(), &rest.Request{URL: "http://" + addr + "/x?token=secret", Body: []byte(`{}`), IdempotencyKey: "k"})
	if err == nil || ordo.IsNonRetryable(err) {
		t.Fatalf("error %v: want a retryable error", err)
	}
	if !strings.Contains(err.Error(), "http://"+addr+"/x?…") || !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q does not name the URL and the cause", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q leaks the query string", err)
	}
}

func TestPostHangingServerTimesOutRetryably(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	// Registered after setup, so it runs before the server's Close, which
	// waits for this handler.
	t.Cleanup(func() { close(release) })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := b.client.Post(ctx, b.request("/slow"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v: want one wrapping context.DeadlineExceeded", err)
	}
	if ordo.IsNonRetryable(err) {
		t.Fatalf("timeout is non-retryable: %v", err)
	}
}

func TestPostResponseTooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t, respond(200, nil, `{"data":"`+strings.Repeat("a", 100)+`"}`))
	b.client.MaxResponseBytes = 64
	_, err := b.client.Post(context.Background(), b.request("/big"))
	if !ordo.IsNonRetryable(err) || !errors.Is(err, ordo.ErrPayloadTooLarge) {
		t.Fatalf("error %v: want non-retryable ErrPayloadTooLarge", err)
	}
	if !strings.Contains(err.Error(), "64 bytes") {
		t.Errorf("error %q does not name the limit", err)
	}
}

func TestPostResponseBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
	}{
		{"plain text", "OK <done> & fine", `"OK <done> & fine"`},
		{"html", "<p>\"thanks\"</p>\n", `"<p>\"thanks\"</p>\n"`},
		{"empty", "", ""},
		{"white space", " \n", ""},
		{"json number", "42", "42"},
		{"json with spaces", " [1, 2] \n", "[1, 2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, respond(200, map[string]string{"Content-Type": "text/plain"}, tt.body))
			resp, err := b.client.Post(context.Background(), b.request("/x"))
			if err != nil {
				t.Fatalf("Post: %v", err)
			}
			if string(resp.Body) != tt.want {
				t.Fatalf("Body = %s, want %s", resp.Body, tt.want)
			}
			if tt.want == "" && resp.Body != nil {
				t.Fatalf("Body = %q, want nil", resp.Body)
			}
		})
	}
}

func TestPostInvalidRequests(t *testing.T) {
	t.Parallel()
	valid := func() *rest.Request {
		return &rest.Request{URL: "http://127.0.0.1:1/x", Body: []byte(`{}`), IdempotencyKey: "k"}
	}
	tests := []struct {
		name   string
		change func(r *rest.Request)
		want   string
	}{
		{"empty key", func(r *rest.Request) { r.IdempotencyKey = "" }, "idempotency key is empty"},
		{"key with newline", func(r *rest.Request) { r.IdempotencyKey = "a\nb" }, "idempotency key"},
		{"empty URL", func(r *rest.Request) { r.URL = "" }, "URL is empty"},
		{"relative URL", func(r *rest.Request) { r.URL = "/x" }, "scheme must be http or https"},
		{"ftp URL", func(r *rest.Request) { r.URL = "ftp://example.com/x" }, "scheme must be http or https"},
		{"body not JSON", func(r *rest.Request) { r.Body = []byte("order=1") }, "not valid JSON"},
		{"empty body", func(r *rest.Request) { r.Body = nil }, "not valid JSON"},
		{"header injection", func(r *rest.Request) { r.Headers = http.Header{"X-A": {"1\r\nX-B: 2"}} }, "header X-A"},
		{"bad header name", func(r *rest.Request) { r.Headers = http.Header{"X A": {"1"}} }, "invalid header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			tt.change(r)
			_, err := (&rest.Client{}).Post(context.Background(), r)
			if !ordo.IsNonRetryable(err) || !errors.Is(err, ordo.ErrInvalidArgument) {
				t.Fatalf("error %v: want non-retryable ErrInvalidArgument", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	if _, err := (&rest.Client{}).Post(context.Background(), nil); !ordo.IsNonRetryable(err) {
		t.Errorf("nil request: error %v, want non-retryable", err)
	}
}
