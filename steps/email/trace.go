package email

import (
	"context"
	"errors"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the package's spans.
const tracerName = "github.com/ordohq/ordo/steps/email"

// tracerOf returns the tracer of tp, or of the global provider.
func tracerOf(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return tp.Tracer(tracerName)
}

// startSendSpan begins the client span of one Send: the server's address
// and port, and how many recipients (never who: addresses are personal
// data).
func (s *Sender) startSendSpan(ctx context.Context, m *Message) (context.Context, trace.Span) {
	n := 0
	if m != nil {
		n = len(m.To)
	}
	return s.tracer.Start(ctx, "smtp send", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		semconv.ServerAddress(s.cfg.host), semconv.ServerPort(s.cfg.port),
		attribute.Int("ordo.email.recipients", n)))
}

// endSendSpan ends a Send's span; a failure gets the error status and,
// as error.type, the SMTP reply code that decided it (or "_OTHER").
func endSendSpan(span trace.Span, err error) {
	if err != nil {
		typ := "_OTHER"
		if se, ok := errors.AsType[*SendError](err); ok && se.Code != 0 {
			typ = strconv.Itoa(se.Code)
		}
		span.SetAttributes(semconv.ErrorTypeKey.String(typ))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
