package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/metrics"
	"github.com/ordohq/ordo/metrics/metricstest"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// bundle is what the tests need: an engine on a memory store reporting to
// m, and the clock of m's cached store figures.
type bundle struct {
	m     *metrics.Metrics
	e     *ordo.Engine
	st    *memory.Store
	clock *ordotest.Clock
}

func setup(t *testing.T, opts *metrics.Options) *bundle {
	t.Helper()
	clock := ordotest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	if opts == nil {
		opts = &metrics.Options{}
	}
	opts.Clock = clock
	log := slog.New(slog.DiscardHandler)
	opts.Logger = log
	m := metrics.New(opts)
	st := memory.New()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, Observer: m, PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m.WatchStore(st)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return &bundle{m: m, e: e, st: st, clock: clock}
}

// scrape serves m's handler and returns what GET /metrics answered.
func (b *bundle) scrape(t *testing.T) metricstest.Families {
	t.Helper()
	rec := httptest.NewRecorder()
	b.m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body.String())
	}
	metricstest.Promtool(t, rec.Body.String())
	return metricstest.Parse(t, rec.Body.String())
}

// wait waits for instance id to reach a final status and returns it.
func (b *bundle) wait(t *testing.T, id string) ordo.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inst, err := b.e.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait for %s: %v", id, err)
	}
	return inst.Status
}

// settle waits until the series of w counts w.value: an engine reports a
// finish after its commit, so Wait may return before.
func (b *bundle) settle(t *testing.T, ws ...want) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		fams, done := b.scrape(t), true
		for _, w := range ws {
			done = done && fams.Value(t, w.name, w.labels...) >= w.value
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics did not reach %v", ws)
		}
		time.Sleep(2 * time.Millisecond) // polling interval, not a wait for work
	}
}

type want struct {
	name   string
	labels []string
	value  float64
}

func check(t *testing.T, fams metricstest.Families, wants []want) {
	t.Helper()
	for _, w := range wants {
		if got := fams.Value(t, w.name, w.labels...); got != w.value {
			t.Errorf("%s%q = %v, want %v; series %s", w.name, w.labels, got, w.value, fams.Describe(w.name))
		}
	}
}

// TestEngineMetrics runs a workflow whose steps end in each outcome a run
// can produce without a crash (success after a retried error, a timeout,
// a non-retryable error, which rolls the first step back), one that completes and one terminated while it
// waits, and checks every count.
func TestEngineMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	once := 0
	shop := ordo.NewWorkflow("shop", func(ctx context.Context, _ struct{}) (string, error) {
		_, err := ordo.DoWithCompensation(ctx, "charge", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 1}},
			func(context.Context) (int, int, error) {
				if once++; once == 1 {
					return 0, 0, errors.New("card network busy")
				}
				return 1, 1, nil
			}, func(context.Context, int) error { return nil }) // the refund
		if err != nil {
			return "", err
		}
		_, _ = ordo.Do(ctx, "slow", &ordo.StepOptions{Timeout: time.Millisecond, Retries: &ordo.RetryPolicy{}},
			func(ctx context.Context) (int, error) {
				<-ctx.Done()
				return 0, ctx.Err()
			})
		return ordo.Do(ctx, "refuse", nil, func(context.Context) (string, error) {
			return "", ordo.NonRetryable(errors.New("card declined"))
		})
	})
	ok := ordo.NewWorkflow("ok", func(ctx context.Context, _ struct{}) (int, error) {
		return ordo.Do(ctx, "one", nil, func(context.Context) (int, error) { return 1, nil })
	})
	waiter := ordo.NewWorkflow("waiter", func(ctx context.Context, _ struct{}) (int, error) {
		return ordo.WaitForEvent[int](ctx, "paid", "payment", time.Hour)
	})
	if err := b.e.Register(shop, ok, waiter); err != nil {
		t.Fatal(err)
	}
	if err := b.e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s, _ := shop.Create(ctx, b.e, struct{}{}, nil)
	o, _ := ok.Create(ctx, b.e, struct{}{}, nil)
	w, _ := waiter.Create(ctx, b.e, struct{}{}, nil)
	if got := b.wait(t, s.ID); got != store.StatusErrored {
		t.Fatalf("shop ended %s, want errored", got)
	}
	if got := b.wait(t, o.ID); got != store.StatusComplete {
		t.Fatalf("ok ended %s, want complete", got)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		inst, err := b.e.Get(ctx, w.ID)
		if err == nil && inst.Status == store.StatusWaiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiter did not wait: %v %v", inst, err)
		}
		time.Sleep(2 * time.Millisecond) // polling interval, not a wait for work
	}
	if _, err := b.e.Terminate(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	b.settle(t, want{"ordo_instances_finished_total", []string{"workflow", "shop"}, 1},
		want{"ordo_instances_finished_total", []string{"workflow", "ok"}, 1})
	check(t, b.scrape(t), []want{
		{"ordo_instances_started_total", []string{"workflow", "shop"}, 1},
		{"ordo_instances_started_total", []string{"workflow", "ok"}, 1},
		{"ordo_instances_started_total", []string{"workflow", "waiter"}, 1},
		{"ordo_instances_finished_total", []string{"workflow", "shop", "status", "errored"}, 1},
		{"ordo_instances_finished_total", []string{"workflow", "ok", "status", "complete"}, 1},
		{"ordo_instances_finished_total", []string{"workflow", "waiter", "status", "terminated"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", "shop", "step", "charge", "outcome", "retryable_error"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", "shop", "step", "charge", "outcome", "success"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", "shop", "step", "slow", "outcome", "timeout"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", "shop", "step", "refuse", "outcome", "non_retryable_error"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", "ok", "step", "one", "outcome", "success"}, 1},
		{"ordo_compensation_attempts_total", []string{"workflow", "shop", "step", "charge", "outcome", "success"}, 1},
		{"ordo_compensation_attempts_total", []string{"outcome", "retryable_error"}, 0},
		{"ordo_step_attempt_duration_seconds", []string{"workflow", "shop", "step", "charge"}, 2},
		{"ordo_step_attempt_duration_seconds", []string{"workflow", "shop", "step", "slow"}, 1},
		{"ordo_lease_losses_total", nil, 0},
		{"ordo_commit_errors_total", nil, 0},
		{"ordo_instances", []string{"status", "waiting"}, 0},
		{"ordo_instances", []string{"status", "running"}, 0},
	})
}

// TestLabelBound: past MaxLabelValues, new workflow and step names are
// counted under _other.
func TestLabelBound(t *testing.T) {
	t.Parallel()
	b := setup(t, &metrics.Options{MaxLabelValues: 3})
	ctx := context.Background()
	wf := ordo.NewWorkflow("many", func(ctx context.Context, _ struct{}) (int, error) {
		for i := range 5 {
			if _, err := ordo.Do(ctx, fmt.Sprintf("item-%d", i), nil, func(context.Context) (int, error) { return i, nil }); err != nil {
				return 0, err
			}
		}
		return 0, nil
	})
	if err := b.e.Register(wf); err != nil {
		t.Fatal(err)
	}
	if err := b.e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	inst, _ := wf.Create(ctx, b.e, struct{}{}, nil)
	b.wait(t, inst.ID)
	b.settle(t, want{"ordo_instances_finished_total", []string{"workflow", "many"}, 1})
	fams := b.scrape(t)
	check(t, fams, []want{
		{"ordo_step_attempts_total", []string{"step", "item-0"}, 1},
		{"ordo_step_attempts_total", []string{"step", "item-2"}, 1},
		{"ordo_step_attempts_total", []string{"step", "item-3"}, 0},
		{"ordo_step_attempts_total", []string{"workflow", "many", "step", metrics.OtherLabel}, 2},
	})
	if got := len(fams.Series("ordo_step_attempts_total")); got != 4 {
		t.Errorf("ordo_step_attempts_total has %d series, want 4: %s", got, fams.Describe("ordo_step_attempts_total"))
	}
}

// TestStoreFigures: the instances by status and the oldest due instance's
// age come from the store, are reused for StoreTTL, then read again.
func TestStoreFigures(t *testing.T) {
	t.Parallel()
	b := setup(t, &metrics.Options{StoreTTL: time.Minute})
	ctx := context.Background()
	t0 := b.clock.Now()
	for i, id := range []string{"a", "b"} {
		if _, err := b.st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: id, Workflow: "unregistered",
			Now: t0.Add(time.Duration(i) * 30 * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	b.clock.Advance(90 * time.Second)
	check(t, b.scrape(t), []want{
		{"ordo_instances", []string{"status", "queued"}, 2},
		{"ordo_instances", []string{"status", "paused"}, 0},
		{"ordo_instances_oldest_due_age_seconds", nil, 90},
	})
	if _, err := b.e.Pause(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(30 * time.Second) // within the TTL: the cached figures, aged
	check(t, b.scrape(t), []want{
		{"ordo_instances", []string{"status", "queued"}, 2},
		{"ordo_instances_oldest_due_age_seconds", nil, 120},
	})
	b.clock.Advance(30 * time.Second) // past it: read again
	check(t, b.scrape(t), []want{
		{"ordo_instances", []string{"status", "queued"}, 1},
		{"ordo_instances", []string{"status", "paused"}, 1},
		{"ordo_instances_oldest_due_age_seconds", nil, 120},
	})
}
