package api_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// waiting is a server whose engine notifies its Waiters, with the
// workflows "greet" (finishes at once), "fail" (errors at once), "gate"
// (finishes when gate closes) and "park" (waits for the event "go").
type waiting struct {
	hs      *httptest.Server
	eng     *ordo.Engine
	waiters *api.Waiters
	gate    chan struct{}
}

func setupWaiting(t *testing.T, st store.Store, cfg api.Config) *waiting {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	w := &waiting{waiters: api.NewWaiters(), gate: make(chan struct{})}
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, PollInterval: 10 * time.Millisecond, OnFinish: w.waiters.Notify})
	if err != nil {
		t.Fatal(err)
	}
	greet := ordo.NewWorkflow("greet", func(ctx context.Context, p params) (string, error) {
		return ordo.Do(ctx, "say", nil, func(ctx context.Context) (string, error) { return "hello " + p.Name, nil })
	})
	fail := ordo.NewWorkflow("fail", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "reserve", nil, func(ctx context.Context) (string, error) {
			return "", ordo.NonRetryable(errors.New("out of stock"))
		})
	})
	gate := ordo.NewWorkflow("gate", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "pass", nil, func(ctx context.Context) (string, error) {
			select {
			case <-w.gate:
				return "passed", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		})
	})
	park := ordo.NewWorkflow("park", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.WaitForEvent[string](ctx, "wait", "go", time.Hour)
	})
	if err := e.Register(greet, fail, gate, park); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.Engine, cfg.Logger, cfg.Waiters = e, log, w.waiters
	srv, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.hs, w.eng = httptest.NewServer(openapitest.Handler(t, srv)), e
	t.Cleanup(func() {
		w.hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return w
}

// waitBackends are the stores the wait tests run on (PostgreSQL with
// ORDO_TEST_POSTGRES_URL).
var waitBackends = []string{"memory", "sqlite", "postgres"}

func TestCreateWithWait(t *testing.T) {
	t.Parallel()
	for _, name := range waitBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := setupWaiting(t, backends[name](t), api.Config{})
			for _, tc := range []struct {
				name, path, body string
				status           int
				want             map[string]any // fields of the answer
			}{
				{"complete in time", "/v1/workflows/greet/instances?wait=10s", `{"id": "g1", "params": {"name": "Ann"}}`,
					http.StatusOK, map[string]any{"id": "g1", "status": "complete", "output": "hello Ann"}},
				{"errored in time", "/v1/workflows/fail/instances?wait=10s", `{"id": "f1"}`,
					http.StatusOK, map[string]any{"id": "f1", "status": "errored"}},
				{"not in time", "/v1/workflows/park/instances?wait=50ms", `{"id": "p1"}`,
					http.StatusAccepted, map[string]any{"id": "p1"}},
				{"wait=0s looks once", "/v1/workflows/park/instances?wait=0s", `{"id": "p2"}`,
					http.StatusAccepted, map[string]any{"id": "p2"}},
				{"a finished repeat answers at once", "/v1/workflows/greet/instances?wait=10s", `{"id": "g1", "params": {"name": "Ann"}}`,
					http.StatusOK, map[string]any{"id": "g1", "output": "hello Ann"}},
				{"a repeat with other params conflicts", "/v1/workflows/greet/instances?wait=10s", `{"id": "g1", "params": {"name": "Bob"}}`,
					http.StatusConflict, map[string]any{}},
				{"a repeat without wait conflicts", "/v1/workflows/greet/instances", `{"id": "g1", "params": {"name": "Ann"}}`,
					http.StatusConflict, map[string]any{}},
				{"without wait", "/v1/workflows/greet/instances", `{"id": "g2", "params": {"name": "Cy"}}`,
					http.StatusCreated, map[string]any{"id": "g2"}},
			} {
				code, out := call(t, w.hs, "POST", tc.path, tc.body)
				if code != tc.status {
					t.Errorf("%s: %d %v, want %d", tc.name, code, out, tc.status)
					continue
				}
				for k, v := range tc.want {
					if out[k] != v {
						t.Errorf("%s: %s = %v, want %v", tc.name, k, out[k], v)
					}
				}
				if tc.name == "errored in time" {
					if e, _ := out["error"].(map[string]any); !strings.Contains(fmt.Sprint(e["message"]), "out of stock") {
						t.Errorf("%s: error %v, want out of stock", tc.name, out["error"])
					}
				}
			}
			if n := w.waiters.Waiting(); n != 0 {
				t.Errorf("%d waits left registered", n)
			}
		})
	}
}

func TestRepeatedCreateWaitsForTheFirst(t *testing.T) {
	t.Parallel()
	for _, name := range waitBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := setupWaiting(t, backends[name](t), api.Config{})
			if code, out := call(t, w.hs, "POST", "/v1/workflows/park/instances", `{"id": "r1"}`); code != http.StatusCreated {
				t.Fatalf("create %d %v", code, out)
			}
			type answer struct {
				code int
				out  map[string]any
			}
			got := make(chan answer, 1)
			go func() {
				code, out := call(t, w.hs, "POST", "/v1/workflows/park/instances?wait=20s", `{"id": "r1"}`)
				got <- answer{code, out}
			}()
			waitFor(t, "the repeat to wait", func() bool { return w.waiters.Waiting() == 1 })
			if err := w.eng.SendEvent(t.Context(), "r1", "go", "done"); err != nil {
				t.Fatal(err)
			}
			a := <-got
			if a.code != http.StatusOK || a.out["output"] != "done" {
				t.Fatalf("repeat with wait: %d %v, want 200 with output done", a.code, a.out)
			}
		})
	}
}

func TestWaitParameterChecked(t *testing.T) {
	t.Parallel()
	w := setupWaiting(t, memory.New(), api.Config{MaxWait: 2 * time.Second})
	for _, v := range []string{"-1s", "abc", "1h", "3s", "", "10"} {
		code, out := call(t, w.hs, "POST", "/v1/workflows/greet/instances?wait="+v, `{"params": {"name": "x"}}`)
		if code != http.StatusBadRequest || errCode(out) != api.CodeInvalidArgument || !strings.Contains(errMessage(t, out), "wait") {
			t.Errorf("wait=%q: %d %v, want 400 invalid_argument naming wait", v, code, out)
		}
	}
	if code, out := call(t, w.hs, "POST", "/v1/workflows/greet/instances?wait=2s", `{"params": {"name": "x"}}`); code != http.StatusOK {
		t.Errorf("wait=2s (the maximum): %d %v", code, out)
	}
	// Nothing was created by the refused requests.
	page, err := w.eng.List(t.Context(), nil)
	if err != nil || len(page.Instances) != 1 {
		t.Fatalf("instances after refused waits: %v %v, want 1", page, err)
	}
	if _, err := api.New(api.Config{Engine: w.eng, MaxWait: -time.Second}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("negative MaxWait: %v", err)
	}
}

func TestWaitEndsWhenTheClientGoes(t *testing.T) {
	t.Parallel()
	w := setupWaiting(t, memory.New(), api.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.hs.URL+"/v1/workflows/park/instances?wait=40s", strings.NewReader(`{"id": "gone"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, "the request to wait", func() bool { return w.waiters.Waiting() == 1 })
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the cancelled request got an answer")
	}
	waitFor(t, "the wait to end", func() bool { return w.waiters.Waiting() == 0 })
}

func TestWaitSeesFinishesTheEngineDoesNotAnnounce(t *testing.T) {
	t.Parallel()
	w := setupWaiting(t, memory.New(), api.Config{})
	got := make(chan int, 1)
	go func() {
		code, _ := call(t, w.hs, "POST", "/v1/workflows/park/instances?wait=20s", `{"id": "t1"}`)
		got <- code
	}()
	waitFor(t, "the request to wait", func() bool { return w.waiters.Waiting() == 1 })
	// A terminate is not an engine finish: the wait's look at the store
	// finds it.
	if _, err := w.eng.Terminate(t.Context(), "t1"); err != nil {
		t.Fatal(err)
	}
	if code := <-got; code != http.StatusOK {
		t.Fatalf("wait on a terminated instance: %d, want 200", code)
	}
}

func TestEndWaitsAnswersAtOnce(t *testing.T) {
	t.Parallel()
	w := setupWaiting(t, memory.New(), api.Config{})
	got := make(chan int, 1)
	go func() {
		code, _ := call(t, w.hs, "POST", "/v1/workflows/park/instances?wait=40s", `{"id": "e1"}`)
		got <- code
	}()
	waitFor(t, "the request to wait", func() bool { return w.waiters.Waiting() == 1 })
	w.waiters.EndWaits()
	if code := <-got; code != http.StatusAccepted {
		t.Fatalf("wait ended by shutdown: %d, want 202", code)
	}
}

func TestMaxWaitingAnswersAtOnce(t *testing.T) {
	t.Parallel()
	w := setupWaiting(t, memory.New(), api.Config{MaxWaiting: 1})
	got := make(chan int, 1)
	go func() {
		code, _ := call(t, w.hs, "POST", "/v1/workflows/park/instances?wait=40s", `{"id": "q1"}`)
		got <- code
	}()
	waitFor(t, "the first request to wait", func() bool { return w.waiters.Waiting() == 1 })
	if code, out := call(t, w.hs, "POST", "/v1/workflows/park/instances?wait=40s", `{"id": "q2"}`); code != http.StatusAccepted || out["id"] != "q2" {
		t.Errorf("a wait past MaxWaiting: %d %v, want 202 at once", code, out)
	}
	if err := w.eng.SendEvent(t.Context(), "q1", "go", "done"); err != nil {
		t.Fatal(err)
	}
	if code := <-got; code != http.StatusOK {
		t.Fatalf("first wait: %d, want 200", code)
	}
}

// countingStore is a memory store counting instance reads.
type countingStore struct {
	*memory.Store
	gets atomic.Int64
}

func (s *countingStore) InstanceGet(ctx context.Context, id string) (*store.Instance, error) {
	s.gets.Add(1)
	return s.Store.InstanceGet(ctx, id)
}

// TestManyWaiters: 500 requests wait at once; each costs its request's
// goroutine and no more, and the store is read a bounded number of times
// per wait (no polling loop).
func TestManyWaiters(t *testing.T) {
	t.Parallel()
	const n = 500
	st := &countingStore{Store: memory.New()}
	w := setupWaiting(t, st, api.Config{})
	tr := &http.Transport{MaxIdleConnsPerHost: n}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			resp, err := client.Post(w.hs.URL+"/v1/workflows/gate/instances?wait=40s", "application/json",
				strings.NewReader(fmt.Sprintf(`{"id": "m%d"}`, i)))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	waitFor(t, "every request to wait", func() bool { return w.waiters.Waiting() == n })
	// Per waiter: its client goroutine, the transport's two, the server's
	// connection goroutine and its background read; plus the engine's
	// running steps.
	if g := runtime.NumGoroutine() - before; g > 5*n+100 {
		t.Errorf("%d goroutines for %d waits", g, n)
	}
	start, gets := time.Now(), st.gets.Load()
	close(w.gate)
	wg.Wait()
	elapsed := time.Since(start)
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("request %d: %d, want 200", i, c)
		}
	}
	// Each wait reads the instance once more at most per second of waiting
	// (its looks for unannounced finishes), besides the answer's read.
	if reads, max := st.gets.Load()-gets, int64(n*(2+int(elapsed.Seconds()))); reads > max {
		t.Errorf("%d instance reads for %d waits over %s, want at most %d", reads, n, elapsed, max)
	}
	if got := w.waiters.Waiting(); got != 0 {
		t.Errorf("%d waits left registered", got)
	}
}

// waitFor polls cond until it holds, failing after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
