package rest

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// traced wraps rt so that each request is an HTTP client span of
// c.TracerProvider and carries the W3C trace context (traceparent,
// tracestate) of the span it runs in, whatever propagator the program
// set globally: the receiver joins the trace.
func (c *Client) traced(rt http.RoundTripper) http.RoundTripper {
	tp := c.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagation.TraceContext{}))
}
