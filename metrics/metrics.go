package metrics

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ordohq/ordo"
)

// Options configure New. A nil *Options means every default.
type Options struct {
	// MaxLabelValues bounds how many distinct values each of the workflow,
	// workflow-and-step, subscription, webhook and schedule labels takes;
	// later new values are reported as OtherLabel. Default 500.
	MaxLabelValues int
	// Clock is the time source of the cached store figures. Default
	// ordo.SystemClock.
	Clock ordo.Clock
	// Logger receives the errors of the store figures. Default
	// slog.Default().
	Logger *slog.Logger
	// StoreTTL is how long the store figures (WatchStore) are reused
	// before a scrape reads them again. Default 10 s.
	StoreTTL time.Duration
	// StoreTimeout bounds the queries of the store figures. Default 2 s.
	StoreTimeout time.Duration
	// NoRuntime leaves out the Go runtime (go_*) and process (process_*)
	// collectors. Default false: they are registered.
	NoRuntime bool
}

// OtherLabel is the value a bounded label takes past Options.MaxLabelValues.
const OtherLabel = "_other"

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.MaxLabelValues <= 0 {
		out.MaxLabelValues = 500
	}
	if out.Clock == nil {
		out.Clock = ordo.SystemClock{}
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.StoreTTL <= 0 {
		out.StoreTTL = 10 * time.Second
	}
	if out.StoreTimeout <= 0 {
		out.StoreTimeout = 2 * time.Second
	}
	return out
}

// Metrics holds Ordo's metrics and the registry they are registered in.
// It implements ordo.Observer. Create it with New.
type Metrics struct {
	opts Options
	reg  *prometheus.Registry

	workflows     *labelSet
	steps         *labelSet
	subscriptions *labelSet
	webhooks      *labelSet
	schedules     *labelSet

	engine          engineMetrics
	webhookAttempts *prometheus.CounterVec
	scheduleFires   *prometheus.CounterVec
	retention       retentionMetrics
}

var _ ordo.Observer = (*Metrics)(nil)

// New returns the metrics in a registry of their own.
func New(opts *Options) *Metrics {
	o := opts.withDefaults()
	m := &Metrics{
		opts:          o,
		reg:           prometheus.NewRegistry(),
		workflows:     newLabelSet(o.MaxLabelValues),
		steps:         newLabelSet(o.MaxLabelValues),
		subscriptions: newLabelSet(o.MaxLabelValues),
		webhooks:      newLabelSet(o.MaxLabelValues),
		schedules:     newLabelSet(o.MaxLabelValues),
	}
	if !o.NoRuntime {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m.engine = newEngineMetrics(m.reg)
	m.webhookAttempts = newWebhookAttempts(factory{m.reg})
	m.scheduleFires = newScheduleFires(factory{m.reg})
	m.retention = newRetentionMetrics(factory{m.reg})
	return m
}

// Registry returns the registry the metrics are in; register more
// collectors on it (see the package doc).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it). It does no authentication:
// put it behind the API's read scope or on a private listener.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(m.opts.Logger.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// labelSet bounds the distinct values of a label: the first max values
// are kept, later new ones become OtherLabel.
type labelSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

func newLabelSet(max int) *labelSet { return &labelSet{max: max, seen: map[string]struct{}{}} }

// value returns v, or OtherLabel once max other values were seen.
func (s *labelSet) value(v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return OtherLabel
	}
	s.seen[v] = struct{}{}
	return v
}

// workflow bounds a workflow name.
func (m *Metrics) workflow(name string) string { return m.workflows.value(name) }

// step bounds a workflow's step name; both are OtherLabel-ed together so a
// (workflow, step) pair is counted once.
func (m *Metrics) step(workflow, step string) (string, string) {
	wf := m.workflow(workflow)
	if m.steps.value(wf+"\x00"+step) == OtherLabel {
		return wf, OtherLabel
	}
	return wf, step
}
