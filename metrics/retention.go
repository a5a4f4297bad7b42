package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordohq/ordo/retention"
)

// retentionMetrics are the metrics fed by RetentionPass.
type retentionMetrics struct {
	deleted      prometheus.Counter
	passes       *prometheus.CounterVec
	passSeconds  prometheus.Histogram
	lastPassTime prometheus.Gauge
}

// Outcomes of ordo_retention_passes_total.
const (
	retentionOK    = "ok"
	retentionBusy  = "busy"
	retentionError = "error"
)

func newRetentionMetrics(f factory) retentionMetrics {
	r := retentionMetrics{
		deleted: f.counter("ordo_retention_deleted_total",
			"Finished instances that retention deleted, past their retention period."),
		passes: f.counterVec("ordo_retention_passes_total",
			"Retention passes by outcome: ok, busy (another process held the purge lock), error.", "outcome"),
		passSeconds: f.histogram("ordo_retention_pass_duration_seconds",
			"How long a retention pass took, its pauses between batches included.", stepBuckets),
	}
	r.lastPassTime = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ordo_retention_last_pass_timestamp_seconds",
		Help: "When the last retention pass began, in Unix seconds (0: none yet)."})
	f.reg.MustRegister(r.lastPassTime)
	for _, o := range []string{retentionOK, retentionBusy, retentionError} {
		r.passes.WithLabelValues(o) // every outcome from the start, at 0
	}
	return r
}

// RetentionPass records a retention pass: give it to
// retention.Config.OnPass.
func (m *Metrics) RetentionPass(p retention.Pass) {
	r := m.retention
	r.deleted.Add(float64(p.Deleted))
	outcome := retentionOK
	switch {
	case p.Err != nil:
		outcome = retentionError
	case p.Busy:
		outcome = retentionBusy
	}
	r.passes.WithLabelValues(outcome).Inc()
	r.passSeconds.Observe(p.Duration.Seconds())
	r.lastPassTime.Set(float64(p.Start.UnixNano()) / 1e9)
}
