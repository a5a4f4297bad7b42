package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordohq/ordo"
)

// engineMetrics are the metrics fed by the engine's ordo.Observer calls.
type engineMetrics struct {
	started         *prometheus.CounterVec
	finished        *prometheus.CounterVec
	scheduleToStart *prometheus.HistogramVec
	takeovers       *prometheus.CounterVec
	leaseLosses     *prometheus.CounterVec
	attempts        *prometheus.CounterVec
	attemptSeconds  *prometheus.HistogramVec
	compensations   *prometheus.CounterVec
	commitSize      prometheus.Histogram
	commitSeconds   prometheus.Histogram
	commitErrors    prometheus.Counter
	published       prometheus.Counter
	sent            prometheus.Counter
	deliveries      *prometheus.CounterVec
}

// Buckets of the engine's histograms.
var (
	stepBuckets    = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 600}
	latencyBuckets = []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600}
	commitBuckets  = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	batchBuckets   = prometheus.ExponentialBuckets(1, 2, 9) // 1 .. 256, Config.MaxCommitBatch's default
)

func newEngineMetrics(reg prometheus.Registerer) engineMetrics {
	f := factory{reg}
	return engineMetrics{
		started: f.counterVec("ordo_instances_started_total",
			"Instances this engine began to run for the first time (their first claim).", "workflow"),
		finished: f.counterVec("ordo_instances_finished_total",
			"Instances that reached a final status here: complete, errored, cancelled or terminated.", "workflow", "status"),
		scheduleToStart: f.histogramVec("ordo_instance_schedule_to_start_seconds",
			"How long a runnable instance waited for a worker: from when it became due (queued, timer due, lease expired) to its claim.",
			latencyBuckets, "workflow"),
		takeovers: f.counterVec("ordo_lease_takeovers_total",
			"Instances this engine took over from a worker whose lease ran out while it ran them.", "workflow"),
		leaseLosses: f.counterVec("ordo_lease_losses_total",
			"Runs of this engine that lost their instance's lease to another worker.", "workflow"),
		attempts: f.counterVec("ordo_step_attempts_total",
			"Recorded step attempts by outcome: success, retryable_error, non_retryable_error, timeout, abandoned, cut_off.",
			"workflow", "step", "outcome"),
		attemptSeconds: f.histogramVec("ordo_step_attempt_duration_seconds",
			"How long step attempts ran (cut-off attempts, which did not run here, are left out).",
			stepBuckets, "workflow", "step"),
		compensations: f.counterVec("ordo_compensation_attempts_total",
			"Recorded attempts of steps' compensations by outcome: success, retryable_error, non_retryable_error, timeout, abandoned.",
			"workflow", "step", "outcome"),
		commitSize: f.histogram("ordo_commit_batch_size",
			"Instance updates per group commit (one storage transaction).", batchBuckets),
		commitSeconds: f.histogram("ordo_commit_duration_seconds",
			"How long a group commit's storage transaction took.", commitBuckets),
		commitErrors: f.counter("ordo_commit_errors_total",
			"Group commits whose storage transaction failed (each is retried)."),
		published: f.counter("ordo_events_published_total",
			"Events published through this engine and stored (a repeated event ID, a replay and an event published with PublishTx in the caller's transaction are not counted)."),
		sent: f.counter("ordo_events_sent_total",
			"Events sent through this engine to one instance (SendEvent, POST /v1/instances/{id}/events) and stored."),
		deliveries: f.counterVec("ordo_event_deliveries_total",
			"Deliveries of published events to subscriptions, replays included, by outcome: started, filtered, invalid_payload, conflict, error.",
			"subscription", "outcome"),
	}
}

// ObserveClaim implements ordo.Observer.
func (m *Metrics) ObserveClaim(o ordo.ClaimObservation) {
	wf := m.workflow(o.Workflow)
	if o.Claims == 1 {
		m.engine.started.WithLabelValues(wf).Inc()
	}
	if o.TakenOver {
		m.engine.takeovers.WithLabelValues(wf).Inc()
	}
	m.engine.scheduleToStart.WithLabelValues(wf).Observe(o.ScheduleToStart.Seconds())
}

// ObserveFinish implements ordo.Observer.
func (m *Metrics) ObserveFinish(o ordo.FinishObservation) {
	m.engine.finished.WithLabelValues(m.workflow(o.Workflow), string(o.Status)).Inc()
}

// ObserveStepAttempt implements ordo.Observer.
func (m *Metrics) ObserveStepAttempt(o ordo.StepAttemptObservation) {
	wf, step := m.step(o.Workflow, o.Step)
	if o.Compensation {
		m.engine.compensations.WithLabelValues(wf, step, string(o.Outcome)).Inc()
		return
	}
	m.engine.attempts.WithLabelValues(wf, step, string(o.Outcome)).Inc()
	if o.Outcome != ordo.StepCutOff {
		m.engine.attemptSeconds.WithLabelValues(wf, step).Observe(o.Duration.Seconds())
	}
}

// ObserveCommit implements ordo.Observer.
func (m *Metrics) ObserveCommit(o ordo.CommitObservation) {
	m.engine.commitSize.Observe(float64(o.Updates))
	m.engine.commitSeconds.Observe(o.Duration.Seconds())
	if o.Err != nil {
		m.engine.commitErrors.Inc()
	}
}

// ObserveLeaseLost implements ordo.Observer.
func (m *Metrics) ObserveLeaseLost(o ordo.LeaseLostObservation) {
	m.engine.leaseLosses.WithLabelValues(m.workflow(o.Workflow)).Inc()
}

// ObservePublish implements ordo.Observer.
func (m *Metrics) ObservePublish(o ordo.PublishObservation) {
	m.engine.published.Inc()
	m.delivered(o.Event.Deliveries)
}

// ObserveEventSent implements ordo.Observer.
func (m *Metrics) ObserveEventSent(ordo.EventSentObservation) {
	m.engine.sent.Inc()
}

// ObserveReplay implements ordo.Observer: a replayed event was counted as
// published when it was first published, so only its new deliveries count.
func (m *Metrics) ObserveReplay(o ordo.ReplayObservation) {
	m.delivered(o.Deliveries)
}

// delivered counts deliveries by subscription and outcome.
func (m *Metrics) delivered(ds []*ordo.Delivery) {
	for _, d := range ds {
		m.engine.deliveries.WithLabelValues(m.subscriptions.value(d.Subscription), string(d.Outcome)).Inc()
	}
}
