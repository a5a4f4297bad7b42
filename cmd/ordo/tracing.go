package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// tracing is the OpenTelemetry set-up of `ordo serve`: on when an OTLP
// endpoint is named by the standard variables, off (the global no-op
// provider, no exporter and no goroutine) otherwise.
type tracing struct {
	tp *sdktrace.TracerProvider // nil when off
}

// tracingEnabled reports whether the environment names an OTLP endpoint
// for traces.
func tracingEnabled() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// setupTracing installs the global tracer provider and the W3C propagator
// when tracingEnabled. The exporter is OTLP over HTTP (protobuf, or JSON
// with OTEL_EXPORTER_OTLP_PROTOCOL=http/json; never gRPC), and the SDK
// reads its own variables: the endpoints, OTEL_EXPORTER_OTLP_HEADERS,
// _TIMEOUT, _COMPRESSION and _CERTIFICATE, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES (the service name defaults to "ordo"),
// OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_*. Export errors are logged.
func setupTracing(ctx context.Context, log *slog.Logger) (*tracing, error) {
	if !tracingEnabled() {
		return &tracing{}, nil
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		if p := os.Getenv(v); p != "" && p != "http/protobuf" && p != "http/json" {
			log.Warn("ordo: traces are exported with OTLP over HTTP only (http/protobuf or http/json); sending http/protobuf", "var", v, "value", p)
		}
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("ordo"), semconv.ServiceVersion(readVersion().Version)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		log.Warn("ordo: tracing resource incomplete", "err", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("ordo: tracing", "err", err) }))
	log.Info("ordo: tracing on", "exporter", "otlp/http", "service", serviceName(res))
	return &tracing{tp: tp}, nil
}

// serviceName is the service.name of res, for the log.
func serviceName(res *resource.Resource) string {
	if v, ok := res.Set().Value(semconv.ServiceNameKey); ok {
		return v.AsString()
	}
	return ""
}

// untraced are the paths polled by probes and scrapers, which would fill
// the traces with nothing.
var untraced = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// handler wraps the API's handler so that every request but the probes'
// and scrapes' (untraced) is a server span, continuing the caller's trace (its traceparent): an
// instance the request creates stores that span's context. Off, h is
// returned as it is.
func (t *tracing) handler(h http.Handler) http.Handler {
	if t.tp == nil {
		return h
	}
	return otelhttp.NewHandler(h, "ordo", otelhttp.WithTracerProvider(t.tp),
		otelhttp.WithFilter(func(r *http.Request) bool { return !untraced[r.URL.Path] }))
}

// shutdown flushes the spans still buffered and stops the exporter.
func (t *tracing) shutdown(ctx context.Context, log *slog.Logger) {
	if t.tp == nil {
		return
	}
	if err := t.tp.Shutdown(ctx); err != nil {
		log.Warn("ordo: flush traces", "err", err)
	}
}
