package order

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/mesh"
)

// tracerName is the instrumentation scope of the service's spans.
const tracerName = "github.com/ordohq/ordo/order"

// tracer returns the tracer of Config.TracerProvider, or of the global
// provider.
func (s *Service) tracer() trace.Tracer {
	tp := s.cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return tp.Tracer(tracerName)
}

// startMeshSpan begins the span of building and storing one item's
// production file, a child of the generate-production-files attempt's.
func (s *Service) startMeshSpan(ctx context.Context, item int, template string, format mesh.Format) (context.Context, trace.Span) {
	return s.tracer().Start(ctx, "mesh generate", trace.WithAttributes(
		attribute.String("ordo.mesh.template", template), attribute.String("ordo.mesh.format", formatName(format)),
		attribute.Int("ordo.order.item", item)))
}

// endMeshSpan ends a mesh span with the mesh's size and the file's bytes,
// or the error.
func endMeshSpan(span trace.Span, m *mesh.Mesh, info *artifact.Info, err error) {
	if m != nil {
		span.SetAttributes(attribute.Int("ordo.mesh.triangles", len(m.Triangles)))
	}
	if info != nil {
		span.SetAttributes(attribute.Int64("ordo.file.size", info.Size))
	}
	if err != nil {
		span.SetAttributes(semconv.ErrorTypeKey.String("_OTHER"))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
