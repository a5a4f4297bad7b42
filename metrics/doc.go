// Package metrics exposes Ordo's measurements in the Prometheus text
// format with github.com/prometheus/client_golang.
//
// The engine does not import Prometheus: it reports what happens through
// the ordo.Observer hook, which *Metrics implements. Wire it like this:
//
//	m := metrics.New(nil)
//	eng, err := ordo.NewEngine(ordo.Config{Store: st, Observer: m})
//	m.WatchStore(st)        // instances by status, oldest due, pool figures
//	mux.Handle("GET /metrics", m.Handler())
//
// The metrics follow the Prometheus naming conventions: an ordo_ prefix,
// _total on counters, base units (_seconds) on histograms, and labels of
// low cardinality only: workflow, step and subscription names, outcomes
// and statuses, never instance, order or event ids. A label's distinct
// values are bounded (Options.MaxLabelValues): past the bound a new value
// is reported as "_other", so a workflow that names its steps after its
// input cannot grow the series without end.
//
// # What the event counters leave out
//
// ordo_events_published_total counts the events Engine.Publish stored
// for the first time. It leaves out a repeated event ID (nothing new was
// stored), a Replay (its events were counted when first published; its
// new deliveries count in ordo_event_deliveries_total), and an event the
// PostgreSQL store's PublishTx wrote in the caller's transaction: the
// engine never learns whether that transaction commits, and a count of
// events that may have rolled back would be wrong. Events sent to one
// instance (Engine.SendEvent) count in ordo_events_sent_total.
//
// # Adding a metric
//
// Another package that wants a metric of its own (say, a counter of the
// instances a retention loop deleted) either registers a collector on
// Registry:
//
//	deleted := prometheus.NewCounter(prometheus.CounterOpts{
//		Name: "ordo_retention_deleted_instances_total",
//		Help: "Finished instances deleted by retention.",
//	})
//	m.Registry().MustRegister(deleted)
//
// or, to keep Prometheus out of a library package, exposes a hook (a func
// field or a small interface in its Config, like ordo.Observer) that a
// method of *Metrics implements, defined in a file of this package named
// after the source (engine.go, store.go, pool.go). Either way: name it
// ordo_<noun>_<unit>[_total], write its Help as a sentence, add it to the
// table in the README and make the metrics test assert its exact value.
package metrics
