package api

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// callerTrace returns ctx with the caller's W3C trace context (the
// request's traceparent and tracestate headers) as its remote span
// context, when ctx carries no span yet: tracing is off, or the server is
// not wrapped in otelhttp. An instance the request creates then stores
// the caller's trace context, and its runs link to that trace once
// tracing is on. A header that does not parse is ignored, as the W3C
// propagator does. With tracing on, ctx holds the request's server span
// and is returned as it is.
func callerTrace(ctx context.Context, h http.Header) context.Context {
	if trace.SpanContextFromContext(ctx).IsValid() || h.Get("traceparent") == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(h))
}
