package ordo_test

import (
	"context"
	"strconv"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/ordohq/ordo"
)

// BenchmarkTracedRun runs instances of a ten-step workflow on the memory
// store one after the other, without tracing (the no-op provider) and with
// the SDK recording every span into a batcher: the difference is the cost
// of the spans per instance.
func BenchmarkTracedRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		tp   func() trace.TracerProvider
	}{
		{"noop", func() trace.TracerProvider { return tracenoop.NewTracerProvider() }},
		{"sdk", func() trace.TracerProvider {
			return sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tp := bc.tp()
			done := make(chan struct{}, 1)
			e, err := ordo.NewEngine(ordo.Config{Store: newMemStore(), Logger: quietLogger(), TracerProvider: tp,
				OnFinish: func(string, ordo.Status) { done <- struct{}{} }})
			if err != nil {
				b.Fatal(err)
			}
			wf := ordo.NewWorkflow("bench", func(ctx context.Context, _ struct{}) (int, error) {
				n := 0
				for i := range 10 {
					v, err := ordo.Do(ctx, "s"+strconv.Itoa(i), nil, func(context.Context) (int, error) { return i, nil })
					if err != nil {
						return 0, err
					}
					n += v
				}
				return n, nil
			})
			if err := e.Register(wf); err != nil {
				b.Fatal(err)
			}
			if err := e.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = e.Stop(context.Background()) }()
			b.ResetTimer()
			for range b.N {
				if _, err := e.Create(context.Background(), "bench", nil, nil); err != nil {
					b.Fatal(err)
				}
				<-done
			}
			b.StopTimer()
			if s, ok := tp.(*sdktrace.TracerProvider); ok {
				_ = s.Shutdown(context.Background())
			}
		})
	}
}
