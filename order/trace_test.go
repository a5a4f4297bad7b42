package order_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// The seed flow's spans form one trace per run: each step attempt under
// the run, and under them the REST step's HTTP client span, the SMTP
// sends and the mesh generation; the shop's endpoint receives the trace
// context of the REST step's span in traceparent, so it joins the trace.
func TestSeedFlowTrace(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	f := setup(t, &setupOptions{tracer: tp})
	f.apply("seed", seedFlow(t, f.rest.URL+"/anything"))
	req := sampleOrder("ord-t", "seed")
	products := 0
	for _, it := range req.Items {
		if it.Product != nil {
			products++
		}
	}
	f.create(req)
	f.finish("ord-t")

	var spans tracetest.SpanStubs
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(5 * time.Millisecond) {
		spans = exp.GetSpans()
		done := false
		for _, s := range spans {
			done = done || s.Name == "run flow/seed"
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run span among %d spans", len(spans))
		}
	}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	// path names a span and its ancestors, "smtp send < step email < run flow/seed".
	path := func(s tracetest.SpanStub) string {
		names := []string{s.Name}
		for s.Parent.IsValid() {
			p, ok := byID[s.Parent.SpanID()]
			if !ok {
				return strings.Join(names, " < ") + " < (missing parent)"
			}
			names, s = append(names, p.Name), p
		}
		return strings.Join(names, " < ")
	}
	var run tracetest.SpanStub
	paths := map[string]int{}
	for _, s := range spans {
		paths[path(s)]++
		if s.Name == "run flow/seed" {
			run = s
		}
	}
	for p, n := range map[string]int{
		"step generate < run flow/seed":                 1,
		"mesh generate < step generate < run flow/seed": products,
		"step consume < run flow/seed":                  1,
		"step email < run flow/seed":                    1,
		"smtp send < step email < run flow/seed":        1,
	} {
		if paths[p] != n {
			t.Errorf("%d spans %q, want %d; all: %v", paths[p], p, n, paths)
		}
	}
	var client tracetest.SpanStub
	for _, s := range spans {
		if s.SpanKind == trace.SpanKindClient && strings.Contains(path(s), "< step consume <") {
			client = s
		}
	}
	if !strings.HasSuffix(path(client), "< step consume < run flow/seed") {
		t.Fatalf("no HTTP client span under the consume step; spans: %v", paths)
	}

	reqs := f.rest.Requests()
	if len(reqs) != 1 {
		t.Fatalf("endpoint got %d requests, want 1", len(reqs))
	}
	got := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(reqs[0].Header)))
	if !got.IsValid() {
		t.Fatalf("request without a valid traceparent: %q", reqs[0].Header.Get("traceparent"))
	}
	if got.TraceID() != run.SpanContext.TraceID() || got.SpanID() != client.SpanContext.SpanID() {
		t.Errorf("traceparent %q names trace %s span %s, want the run's trace %s and the client span %s",
			reqs[0].Header.Get("traceparent"), got.TraceID(), got.SpanID(), run.SpanContext.TraceID(), client.SpanContext.SpanID())
	}
}
