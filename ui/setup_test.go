package ui_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/ui"
)

// testWorkflows returns the workflows the dashboard tests run. Steps move
// the virtual clock forward so that attempts have a visible length.
//
//   - checkout: reserve (compensated), charge (fails twice, then succeeds;
//     its compensation fails for good), a 10 s sleep, then ship, which fails
//     without retry: the instance ends errored after the compensations.
//   - waiter: prepare, then waits up to a day for an "order.packed" event,
//     then finish.
//   - flaky: a step that keeps failing with an hour between attempts.
func testWorkflows(clock *ordotest.Clock) []ordo.Definition {
	checkout := ordo.NewWorkflow("checkout", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.DoWithCompensation(ctx, "reserve", nil, func(ctx context.Context) (string, string, error) {
			clock.Advance(150 * time.Millisecond)
			return "rsv-1", "rsv-1", nil
		}, func(ctx context.Context, id string) error { return nil }); err != nil {
			return "", err
		}
		retry := &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 3, Delay: 2 * time.Second, Backoff: ordo.BackoffConstant}}
		if _, err := ordo.DoWithCompensation(ctx, "charge", retry, func(ctx context.Context) (string, string, error) {
			clock.Advance(400 * time.Millisecond)
			info, _ := ordo.StepInfoFrom(ctx)
			if info.Attempt < 3 {
				return "", "", fmt.Errorf("payment gateway unavailable (attempt %d)", info.Attempt)
			}
			_ = ordo.SetCustomStatus(ctx, "paid")
			return "ch-1", "ch-1", nil
		}, func(ctx context.Context, id string) error {
			return ordo.NonRetryable(errors.New("refund declined for " + id))
		}); err != nil {
			return "", err
		}
		if err := ordo.Sleep(ctx, "cool-off", 10*time.Second); err != nil {
			return "", err
		}
		return ordo.Do(ctx, "ship", nil, func(ctx context.Context) (string, error) {
			clock.Advance(250 * time.Millisecond)
			return "", ordo.NonRetryable(errors.New("no carrier for this address"))
		})
	})
	waiter := ordo.NewWorkflow("waiter", func(ctx context.Context, _ struct{}) (any, error) {
		if _, err := ordo.Do(ctx, "prepare", nil, func(ctx context.Context) (int, error) {
			clock.Advance(200 * time.Millisecond)
			return 1, nil
		}); err != nil {
			return nil, err
		}
		got, err := ordo.WaitForEvent[any](ctx, "packed", "order.packed", 24*time.Hour)
		if err != nil {
			return nil, err
		}
		return ordo.Do(ctx, "finish", nil, func(ctx context.Context) (any, error) { return got, nil })
	})
	flaky := ordo.NewWorkflow("flaky", func(ctx context.Context, _ struct{}) (int, error) {
		return ordo.Do(ctx, "call-erp", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 5, Delay: time.Hour}},
			func(ctx context.Context) (int, error) { return 0, errors.New("ERP answered 503") })
	})
	return []ordo.Definition{checkout, waiter, flaky}
}

// fixture is a dashboard on a real engine (store/memory, virtual clock)
// served over HTTP.
type fixture struct {
	t      *testing.T
	env    *ordotest.Env
	engine *ordo.Engine
	srv    *httptest.Server
	client *http.Client // does not follow redirects
	// handler is the dashboard itself, to serve requests in process.
	handler http.Handler
}

// setup starts an engine with the test workflows and the dashboard on an
// httptest server, times shown in UTC. cfg may set the page size.
func setup(t *testing.T, cfg *ui.Config) *fixture {
	t.Helper()
	env := ordotest.New(t, &ordotest.Options{Start: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)})
	env.Register(testWorkflows(env.Clock)...)
	c := ui.Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Engine, c.Location = env.Engine, time.UTC
	h, err := ui.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return serveFixture(t, env, h)
}

// serveFixture serves the dashboard h of env under /ui/ on an httptest
// server, with a client that does not follow redirects.
func serveFixture(t *testing.T, env *ordotest.Env, h http.Handler) *fixture {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/ui/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return &fixture{t: t, env: env, engine: env.Engine, srv: srv, client: client, handler: h}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   string
}

// get fetches a path of the test server.
func (f *fixture) get(path string, header ...string) response {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return f.do(req)
}

// post submits a form the way a browser on the dashboard does (Origin set
// to the server) unless header overrides it; header is name, value pairs.
func (f *fixture) post(path string, form url.Values, header ...string) response {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", f.srv.URL)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	return f.do(req)
}

func (f *fixture) do(req *http.Request) response {
	f.t.Helper()
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// start creates an instance of workflow with the given ID.
func (f *fixture) start(workflow, id string) string {
	f.t.Helper()
	if _, err := f.engine.Create(context.Background(), workflow, nil, &ordo.CreateOptions{ID: id}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// waiting starts a waiter and waits until it waits for its event.
func (f *fixture) waiting(id string) string {
	f.t.Helper()
	f.start("waiter", id)
	f.waitStep(id, "packed#1", "waiting")
	return id
}

// waitStep polls until the instance's step key has status.
func (f *fixture) waitStep(id, key, status string) *ordo.Instance {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for poll := time.Millisecond; ; poll = min(2*poll, 20*time.Millisecond) {
		inst, err := f.engine.Get(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, st := range inst.Steps {
			if st.Key == key && string(st.Status) == status && inst.Status == ordo.StatusWaiting {
				return inst
			}
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("instance %s: step %s did not reach %s; instance is %s", id, key, status, inst.Status)
		}
		time.Sleep(poll) // polling interval of a deadline-bound wait
	}
}

// status returns an instance's status.
func (f *fixture) status(id string) ordo.Status {
	f.t.Helper()
	inst, err := f.engine.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return inst.Status
}

// mustContain fails unless body holds every want.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not contain %q", what, w)
		}
	}
	if t.Failed() {
		t.Logf("%s:\n%s", what, body)
		t.FailNow()
	}
}

// mustNotContain fails if body holds any of wants.
func mustNotContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if strings.Contains(body, w) {
			t.Errorf("%s contains %q", what, w)
		}
	}
	if t.Failed() {
		t.Logf("%s:\n%s", what, body)
		t.FailNow()
	}
}

// newRecorder serves GET path with h in process.
func newRecorder(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}
