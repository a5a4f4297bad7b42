package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/store/memory"
)

// With tracing off (no tracer provider, no otelhttp), an instance created
// through the API stores the caller's traceparent and tracestate; an
// engine with tracing on that runs it later links its run span to the
// caller's span. A traceparent that does not parse is ignored.
func TestCreateStoresCallerTraceWithTracingOff(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	st := memory.New()
	creator, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = creator.Stop(context.Background()) })
	wf := ordo.NewWorkflow("traced", func(ctx context.Context, _ struct{}) (int, error) {
		return ordo.Do(ctx, "one", nil, func(context.Context) (int, error) { return 1, nil })
	})
	if err := creator.Register(wf); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: creator, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(hs.Close)

	const (
		traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
		spanID   = "00f067aa0ba902b7"
		parent   = "00-" + traceID + "-" + spanID + "-01"
		tstate   = "shop=checkout"
		unparsed = "00-not-a-trace-01"
	)
	create := func(id, traceparent string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/v1/workflows/traced/instances",
			strings.NewReader(`{"id": "`+id+`", "params": {}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("traceparent", traceparent)
		req.Header.Set("tracestate", tstate)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %d", id, resp.StatusCode)
		}
	}
	create("with-trace", parent)
	create("bad-trace", unparsed)
	in, err := creator.Get(t.Context(), "with-trace")
	if err != nil {
		t.Fatal(err)
	}
	if in.Trace == nil || in.Trace.Parent != parent || in.Trace.State != tstate {
		t.Fatalf("stored trace context %+v, want %s with %s", in.Trace, parent, tstate)
	}
	if in, err := creator.Get(t.Context(), "bad-trace"); err != nil || in.Trace != nil {
		t.Errorf("an unparsable traceparent was stored: %+v (%v)", in.Trace, err)
	}

	// Tracing turned on later, in the worker that runs the instance.
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	worker, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, TracerProvider: tp, PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Register(wf); err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = worker.Stop(context.Background()) })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := worker.Wait(ctx, "with-trace"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, s := range exp.GetSpans() {
			if s.Name != "run traced" {
				continue
			}
			for _, l := range s.Links {
				if l.SpanContext.TraceID().String() == traceID && l.SpanContext.SpanID().String() == spanID {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run span links to the caller's span; spans %v", exp.GetSpans())
		}
		time.Sleep(2 * time.Millisecond) // polling interval, not a wait for work
	}
}
