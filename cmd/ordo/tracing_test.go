package main

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes each POST
// /v1/traces as a protobuf ExportTraceServiceRequest and keeps its spans
// with their service.name.
type otlpReceiver struct {
	URL string

	mu    sync.Mutex
	spans []receivedSpan
	bad   []string
}

type receivedSpan struct {
	service string
	span    *tracepb.Span
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rc := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &req)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || err != nil {
			rc.bad = append(rc.bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		for _, rs := range req.GetResourceSpans() {
			service := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					rc.spans = append(rc.spans, receivedSpan{service: service, span: sp})
				}
			}
		}
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// named returns the received spans called name.
func (rc *otlpReceiver) named(name string) []receivedSpan {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []receivedSpan
	for _, s := range rc.spans {
		if s.span.GetName() == name {
			out = append(out, s)
		}
	}
	return out
}

func spanAttr(sp *tracepb.Span, key string) string {
	for _, kv := range sp.GetAttributes() {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// TestServeExportsTracesOverOTLP starts `ordo serve` with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at a real OTLP/HTTP receiver, and
// creates an order, with a traceparent of the shop's, whose flow POSTs to
// the shop: the receiver gets the request's server span in the shop's
// trace, the run's span linked to it, and the shop's endpoint receives a
// traceparent of the run's trace.
func TestServeExportsTracesOverOTLP(t *testing.T) {
	t.Parallel()
	rc := startOTLPReceiver(t)
	var shopMu sync.Mutex
	var shopParents []string
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shopMu.Lock()
		shopParents = append(shopParents, r.Header.Get("traceparent"))
		shopMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(shop.Close)

	flows := t.TempDir()
	flow := `[{"stepDefinitionId": "notify", "type": "consume-rest-api", "successStatus": "Sent",
		"options": {"uri": "` + shop.URL + `/orders"}}]`
	if err := os.WriteFile(filepath.Join(flows, "traced.json"), []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServeEnv(t, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rc.URL, "OTEL_SERVICE_NAME=ordo-otlp-test",
		"OTEL_BSP_SCHEDULE_DELAY=50"}, "--data-dir", t.TempDir(), "--flows", flows)

	const shopTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, err := http.NewRequest(http.MethodPost, p.URL+"/v1/orders", strings.NewReader(
		`{"id": "T-1", "flow": "traced", "customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "A", "quantity": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+shopTrace+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/orders: %d %s", resp.StatusCode, raw)
	}

	var runs []receivedSpan
	waitUntil(t, 60*time.Second, "the receiver has the run's span", func() bool {
		runs = rc.named("run flow/traced")
		return len(runs) > 0
	})
	run := runs[0].span
	if runs[0].service != "ordo-otlp-test" || spanAttr(run, "ordo.instance.id") != "T-1" || spanAttr(run, "ordo.run.outcome") != "complete" {
		t.Errorf("run span: service %q instance %q outcome %q", runs[0].service, spanAttr(run, "ordo.instance.id"), spanAttr(run, "ordo.run.outcome"))
	}

	// The API request continued the shop's trace, and the run links to it.
	var server *tracepb.Span
	rc.mu.Lock()
	for _, s := range rc.spans {
		if s.span.GetKind() == tracepb.Span_SPAN_KIND_SERVER && hex.EncodeToString(s.span.GetTraceId()) == shopTrace {
			server = s.span
		}
	}
	bad := rc.bad
	rc.mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("receiver refused exports: %v", bad)
	}
	if server == nil {
		t.Fatalf("no server span in the shop's trace %s", shopTrace)
	}
	linked := false
	for _, l := range run.GetLinks() {
		linked = linked || (hex.EncodeToString(l.GetTraceId()) == shopTrace && string(l.GetSpanId()) == string(server.GetSpanId()))
	}
	if !linked || hex.EncodeToString(run.GetTraceId()) == shopTrace {
		t.Errorf("run span in trace %x with links %v, want a trace of its own linked to the request's span %x", run.GetTraceId(), run.GetLinks(), server.GetSpanId())
	}

	// The shop's endpoint was called in the run's trace.
	shopMu.Lock()
	parents := append([]string(nil), shopParents...)
	shopMu.Unlock()
	if len(parents) != 1 {
		t.Fatalf("shop got %d requests, want 1", len(parents))
	}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": parents[0]}))
	if !sc.IsValid() || sc.TraceID().String() != hex.EncodeToString(run.GetTraceId()) {
		t.Errorf("shop's traceparent %q, want one in the run's trace %x", parents[0], run.GetTraceId())
	}
	if err := p.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// Without an OTLP endpoint tracing is off: no provider, no exporter, and
// the API's handler is not wrapped.
func TestTracingOffWithoutEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	log := slog.New(slog.DiscardHandler)
	tr, err := setupTracing(context.Background(), log)
	if err != nil {
		t.Fatal(err)
	}
	if tr.tp != nil {
		t.Fatal("tracing is on without an endpoint")
	}
	h := &struct{ http.Handler }{http.NotFoundHandler()}
	if got := tr.handler(h); got != http.Handler(h) {
		t.Error("the handler was wrapped with tracing off")
	}
	tr.shutdown(context.Background(), log)
}
