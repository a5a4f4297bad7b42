package ordo_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// newTracedEngine returns an engine on st whose spans go to the returned
// in-memory exporter, synchronously as each span ends.
func newTracedEngine(t *testing.T, st store.Store) (*ordo.Engine, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger(), TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	return e, exp
}

// waitSpans polls exp until it holds a span named name whose attribute
// key has value want, or 20 s pass, and returns all spans then.
func waitSpans(t *testing.T, exp *tracetest.InMemoryExporter, name string, key attribute.Key, want string) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		spans := exp.GetSpans()
		for _, s := range spans {
			if s.Name == name && attr(s, key) == want {
				return spans
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no span %q with %s=%s in %v", name, key, want, spanNames(spans))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// attr returns a span's attribute as text ("" when absent).
func attr(s tracetest.SpanStub, key attribute.Key) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value.String()
		}
	}
	return ""
}

func spanNames(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func TestTracesRunAndStepAttempts(t *testing.T) {
	t.Parallel()
	e, exp := newTracedEngine(t, newMemStore())
	var tries atomic.Int32
	wf := ordo.NewWorkflow("traced", func(ctx context.Context, _ struct{}) (struct{}, error) {
		if _, err := ordo.Do(ctx, "reserve", nil, func(context.Context) (int, error) { return 1, nil }); err != nil {
			return struct{}{}, err
		}
		_, err := ordo.Do(ctx, "charge", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 2}},
			func(context.Context) (int, error) {
				if tries.Add(1) == 1 {
					return 0, errors.New("gateway busy")
				}
				return 2, nil
			})
		if err != nil {
			return struct{}{}, err
		}
		_, err = ordo.Do(ctx, "ship", nil, func(context.Context) (int, error) {
			return 0, ordo.NonRetryable(errors.New("no carrier"))
		})
		return struct{}{}, err
	})
	mustRegister(t, e, wf)
	startEngine(t, e)
	inst, err := e.Create(context.Background(), "traced", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, e, inst.ID)
	spans := waitSpans(t, exp, "run traced", "ordo.run.outcome", "errored")

	var run tracetest.SpanStub
	var steps []string
	for _, s := range spans {
		if s.Name == "run traced" {
			run = s
		}
	}
	for _, s := range spans {
		if !strings.HasPrefix(s.Name, "step ") {
			continue
		}
		if s.Parent.SpanID() != run.SpanContext.SpanID() || s.SpanContext.TraceID() != run.SpanContext.TraceID() {
			t.Errorf("span %s is not a child of the run's span", s.Name)
		}
		if attr(s, "ordo.workflow.name") != "traced" || attr(s, "ordo.instance.id") != inst.ID {
			t.Errorf("span %s: workflow %q, instance %q", s.Name, attr(s, "ordo.workflow.name"), attr(s, "ordo.instance.id"))
		}
		steps = append(steps, fmt.Sprintf("%s key=%s attempt=%s outcome=%s retrying=%s error.type=%s status=%s",
			attr(s, "ordo.step.name"), attr(s, "ordo.step.key"), attr(s, "ordo.step.attempt"),
			attr(s, "ordo.step.outcome"), attr(s, "ordo.step.retrying"), attr(s, "error.type"), s.Status.Code))
	}
	sort.Strings(steps)
	want := []string{
		"charge key=charge#1 attempt=1 outcome=retryable_error retrying=true error.type=step status=Error",
		"charge key=charge#1 attempt=2 outcome=success retrying=false error.type= status=Unset",
		"reserve key=reserve#1 attempt=1 outcome=success retrying=false error.type= status=Unset",
		"ship key=ship#1 attempt=1 outcome=non_retryable_error retrying=false error.type=non_retryable status=Error",
	}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("step spans:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	if run.Status.Code != codes.Error || attr(run, "error.type") != "non_retryable" || attr(run, "ordo.instance.id") != inst.ID {
		t.Errorf("run span: status %v, error.type %q, instance %q", run.Status, attr(run, "error.type"), attr(run, "ordo.instance.id"))
	}
}

// openSQLite opens and migrates the SQLite database at path.
func openSQLite(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// requestSpan starts a span standing for the HTTP request that creates an
// instance, on a tracer of its own.
func requestSpan(t *testing.T) (context.Context, trace.SpanContext) {
	t.Helper()
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("shop").Start(context.Background(), "POST /v1/orders")
	t.Cleanup(func() { span.End() })
	return ctx, span.SpanContext()
}

// linkedTo reports whether span s links to sc (and is not its child).
func linkedTo(s tracetest.SpanStub, sc trace.SpanContext) bool {
	if s.Parent.IsValid() {
		return false
	}
	for _, l := range s.Links {
		if l.SpanContext.TraceID() == sc.TraceID() && l.SpanContext.SpanID() == sc.SpanID() {
			return true
		}
	}
	return false
}

// A run resumed by another engine (another process, days later) links its
// span to the trace context of the request that created the instance, read
// back from the database.
func TestTracesResumedRunLinksToCreatingRequest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ordo.db")
	wf := ordo.NewWorkflow("resumable", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.Do(ctx, "reserve", nil, func(context.Context) (int, error) { return 1, nil }); err != nil {
			return "", err
		}
		paid, err := ordo.WaitForEvent[string](ctx, "payment", "paid", time.Hour)
		if err != nil {
			return "", err
		}
		return ordo.Do(ctx, "ship", nil, func(context.Context) (string, error) { return "shipped " + paid, nil })
	})

	reqCtx, reqSC := requestSpan(t)
	st1 := openSQLite(t, path)
	e1, exp1 := newTracedEngine(t, st1)
	mustRegister(t, e1, wf)
	startEngine(t, e1)
	inst, err := e1.Create(reqCtx, "resumable", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e1, inst.ID, "the wait for payment", func(i *ordo.Instance) bool { return i.Status == ordo.StatusWaiting })
	first := waitSpans(t, exp1, "run resumable", "ordo.run.outcome", "waiting")
	if err := e1.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := st1.Close(); err != nil {
		t.Fatal(err)
	}

	st2 := openSQLite(t, path)
	e2, exp2 := newTracedEngine(t, st2)
	mustRegister(t, e2, wf)
	startEngine(t, e2)
	if err := e2.SendEvent(context.Background(), inst.ID, "paid", "card"); err != nil {
		t.Fatal(err)
	}
	if got := waitDone(t, e2, inst.ID); got.Status != ordo.StatusComplete {
		t.Fatalf("status = %s, want complete", got.Status)
	}
	second := waitSpans(t, exp2, "run resumable", "ordo.run.outcome", "complete")

	for name, spans := range map[string]tracetest.SpanStubs{"first run": first, "resumed run": second} {
		var runs, steps []string
		for _, s := range spans {
			switch {
			case s.Name == "run resumable":
				runs = append(runs, s.Name)
				if !linkedTo(s, reqSC) {
					t.Errorf("%s: span links %v (parent %v), want a link to the creating request %v", name, s.Links, s.Parent, reqSC)
				}
				if s.SpanContext.TraceID() == reqSC.TraceID() {
					t.Errorf("%s: run span is in the request's trace, want a trace of its own", name)
				}
			case strings.HasPrefix(s.Name, "step "):
				steps = append(steps, s.Name)
			}
		}
		want := map[string]string{"first run": "step reserve", "resumed run": "step ship"}[name]
		if len(runs) != 1 || strings.Join(steps, ",") != want {
			t.Errorf("%s: runs %v, steps %v, want one run and %s", name, runs, steps, want)
		}
	}
}

// Without a span in Create's context the run has no link.
func TestTracesRunWithoutCreatingContext(t *testing.T) {
	t.Parallel()
	e, exp := newTracedEngine(t, newMemStore())
	wf := ordo.NewWorkflow("unlinked", func(ctx context.Context, _ struct{}) (struct{}, error) { return struct{}{}, nil })
	mustRegister(t, e, wf)
	startEngine(t, e)
	inst, err := e.Create(context.Background(), "unlinked", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, e, inst.ID)
	for _, s := range waitSpans(t, exp, "run unlinked", "ordo.run.outcome", "complete") {
		if len(s.Links) != 0 || s.Parent.IsValid() {
			t.Errorf("span %s: links %v, parent %v; want none", s.Name, s.Links, s.Parent)
		}
	}
}

// A compensation attempt is a span of its own under the run, and the
// engine's log lines of a traced run name its trace.
func TestTracesCompensationAndLogTraceID(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e, err := ordo.NewEngine(ordo.Config{Store: newMemStore(), TracerProvider: tp,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wf := ordo.NewWorkflow("undone", func(ctx context.Context, _ struct{}) (struct{}, error) {
		_, err := ordo.DoWithCompensation(ctx, "reserve", nil,
			func(context.Context) (int, int, error) { return 1, 1, nil },
			func(context.Context, int) error { return nil })
		if err != nil {
			return struct{}{}, err
		}
		_, err = ordo.Do(ctx, "charge", nil, func(context.Context) (int, error) {
			return 0, ordo.NonRetryable(errors.New("card declined"))
		})
		return struct{}{}, err
	})
	mustRegister(t, e, wf)
	startEngine(t, e)
	inst, err := e.Create(context.Background(), "undone", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, e, inst.ID)
	spans := waitSpans(t, exp, "run undone", "ordo.run.outcome", "errored")
	var run, comp tracetest.SpanStub
	for _, s := range spans {
		switch s.Name {
		case "run undone":
			run = s
		case "compensate reserve":
			comp = s
		}
	}
	if comp.Parent.SpanID() != run.SpanContext.SpanID() || attr(comp, "ordo.step.compensation") != "true" ||
		attr(comp, "ordo.step.outcome") != "success" || attr(comp, "ordo.step.key") != "reserve#1" {
		t.Errorf("compensation span %q: parent %v (run %v), attributes %v", comp.Name, comp.Parent.SpanID(), run.SpanContext.SpanID(), comp.Attributes)
	}
	found := false
	for _, l := range logs.lines(t) {
		if l["msg"] == "ordo: step failed" {
			found = true
			if l[ordo.LogKeyTraceID] != run.SpanContext.TraceID().String() {
				t.Errorf("step failed line: trace_id %v, want the run's %s", l[ordo.LogKeyTraceID], run.SpanContext.TraceID())
			}
		}
	}
	if !found {
		t.Errorf("no step failed line in\n%s", logs.buf.String())
	}
}
