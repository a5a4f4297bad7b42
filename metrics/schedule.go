package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordohq/ordo/store"
)

// ScheduleFire counts a schedule fire's final outcome: give it to
// schedule.Config.OnFire.
func (m *Metrics) ScheduleFire(scheduleID string, outcome store.FireOutcome) {
	m.scheduleFires.WithLabelValues(m.schedules.value(scheduleID), string(outcome)).Inc()
}

func newScheduleFires(f factory) *prometheus.CounterVec {
	return f.counterVec("ordo_schedule_fires_total",
		"Schedule fires by outcome: started, already-existed, skipped-overlap, failed.",
		"schedule", "outcome")
}
