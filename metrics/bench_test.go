package metrics_test

import (
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/metrics"
)

// BenchmarkObserveStepAttempt is the cost the metrics add to each step
// attempt (the label bound's lookup and the counter and histogram).
func BenchmarkObserveStepAttempt(b *testing.B) {
	m := metrics.New(&metrics.Options{NoRuntime: true})
	ob := ordo.StepAttemptObservation{Workflow: "shop", Step: "charge", Outcome: ordo.StepSuccess, Duration: 30 * time.Millisecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveStepAttempt(ob)
		}
	})
}
