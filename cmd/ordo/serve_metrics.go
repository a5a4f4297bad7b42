package main

import (
	"log/slog"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/metrics"
	"github.com/ordohq/ordo/store"
)

// newServeMetrics returns the server's Prometheus metrics; they are given
// to the engine as its Observer before it is created.
func newServeMetrics(log *slog.Logger) *metrics.Metrics {
	return metrics.New(&metrics.Options{Logger: log})
}

// serveMetrics adds GET /metrics to the API, behind the read scope like
// every GET, and the store's figures (instances by status, the oldest due
// instance, the connection pool) to the metrics.
func serveMetrics(m *metrics.Metrics, srv *api.Server, st store.Store) {
	m.WatchStore(st)
	srv.HandleHTTP("GET /metrics", m.Handler())
}
