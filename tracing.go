package ordo

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo/store"
)

// TracerName is the instrumentation scope of the engine's spans.
const TracerName = "github.com/ordohq/ordo"

// The attributes of the engine's spans. OpenTelemetry's semantic
// conventions have no names for workflows, so they live under the ordo.
// namespace; a failure's class is the conventional error.type.
const (
	attrInstanceID   = attribute.Key("ordo.instance.id")
	attrWorkflow     = attribute.Key("ordo.workflow.name")
	attrRun          = attribute.Key("ordo.instance.run")
	attrRunOutcome   = attribute.Key("ordo.run.outcome")
	attrStep         = attribute.Key("ordo.step.name")
	attrStepKey      = attribute.Key("ordo.step.key")
	attrAttempt      = attribute.Key("ordo.step.attempt")
	attrOutcome      = attribute.Key("ordo.step.outcome")
	attrRetrying     = attribute.Key("ordo.step.retrying")
	attrCompensation = attribute.Key("ordo.step.compensation")
)

// The outcomes of attempts that left no record, beside the StepOutcome
// values of recorded ones (attribute ordo.step.outcome).
const (
	outcomeStopped = "stopped" // the run stopped mid-attempt; it runs again later
	outcomeWaiting = "waiting" // an asynchronous step started; its result is awaited
)

// startRunSpan begins the span of one run of inst (claim to release) as
// the root of a trace of its own, linked to the trace context of the
// request that created the instance, if it was stored: a run may happen
// days after the request, on another worker, so it joins that trace by a
// link rather than as a child that would stretch it over days.
func (e *Engine) startRunSpan(inst *store.Instance) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal)}
	if sc := storedSpanContext(inst.Trace); sc.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
	}
	ctx, span := e.tracer.Start(context.Background(), "run "+inst.Workflow, opts...)
	if span.IsRecording() { // else tracing is off (or the run not sampled): spare the attributes
		span.SetAttributes(attrWorkflow.String(inst.Workflow), attrInstanceID.String(inst.ID), attrRun.Int(inst.Run))
	}
	return ctx, span
}

// TraceContextFrom returns the W3C trace context of the span in ctx (the
// request that creates an instance, say) in the form the store keeps it,
// or nil when ctx has no valid span context. Engine.Create and
// subscriptions store it with the instances they create; a caller of
// Engine.CreateParams that creates the instance in its own transaction
// (CreateTx) sets InstanceCreateParams.Trace to it. A tracestate longer
// than store.MaxTraceStateBytes is left out.
func TraceContextFrom(ctx context.Context) *store.TraceContext {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	tc := &store.TraceContext{Parent: c.Get("traceparent"), State: c.Get("tracestate")}
	if len(tc.State) > store.MaxTraceStateBytes {
		tc.State = ""
	}
	if store.ValidateTraceContext(tc) != nil {
		return nil
	}
	return tc
}

// storedSpanContext decodes a stored trace context as a remote span
// context; it is invalid (zero) for nil or one that does not decode.
func storedSpanContext(tc *store.TraceContext) trace.SpanContext {
	if tc == nil {
		return trace.SpanContext{}
	}
	c := propagation.MapCarrier{"traceparent": tc.Parent}
	if tc.State != "" {
		c["tracestate"] = tc.State
	}
	return trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c))
}

// traceRelease notes on the run's span how it ended: the status the
// release left the instance in (res.Status, else the state asked for).
func (r *run) traceRelease(state *store.StateChange, res store.UpdateResult, err error) {
	if !r.span.IsRecording() {
		return
	}
	outcome := "released"
	switch {
	case errors.Is(err, errLeaseLost):
		outcome = "lease_lost"
	case err != nil:
		outcome = "not_recorded"
		r.span.SetStatus(codes.Error, err.Error())
	case res.Status != "":
		outcome = string(res.Status)
	case state != nil:
		outcome = string(state.Status)
	}
	r.span.SetAttributes(attrRunOutcome.String(outcome))
	if err == nil && state != nil && state.Error != nil && outcome == string(state.Status) {
		r.span.SetAttributes(semconv.ErrorTypeKey.String(string(state.Error.Kind)))
		r.span.SetStatus(codes.Error, state.Error.Message)
	}
}

// startAttemptSpan begins the span of one attempt of a step (or of its
// compensation), a child of the run's span. When the run's span does not
// record (tracing off, or the run not sampled), neither would its child:
// the attempt runs in the run's context, with a no-op span.
func (r *run) startAttemptSpan(name, key string, attempt int, compensation bool) (context.Context, trace.Span) {
	if !r.span.IsRecording() {
		return r.ctx, trace.SpanFromContext(context.Background())
	}
	spanName := "step " + name
	if compensation {
		spanName = "compensate " + name
	}
	return r.e.tracer.Start(r.ctx, spanName, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(
		attrWorkflow.String(r.inst.Workflow), attrInstanceID.String(r.inst.ID),
		attrStep.String(name), attrStepKey.String(key), attrAttempt.Int(attempt), attrCompensation.Bool(compensation)))
}

// endAttemptSpan ends the span of a recorded attempt: its outcome (the
// StepOutcome observers count, from its error ei), whether another attempt
// follows, and for a failure the error status and error.type (the kind).
func endAttemptSpan(span trace.Span, ei *store.ErrorInfo, retrying bool) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attrOutcome.String(string(stepOutcome(ei))), attrRetrying.Bool(retrying))
	if ei != nil {
		span.SetAttributes(semconv.ErrorTypeKey.String(string(ei.Kind)))
		span.SetStatus(codes.Error, ei.Message)
	}
	span.End()
}

// endUnrecordedAttempt ends the span of an attempt that left no record:
// outcomeStopped or outcomeWaiting.
func endUnrecordedAttempt(span trace.Span, outcome string) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attrOutcome.String(outcome))
	span.End()
}
