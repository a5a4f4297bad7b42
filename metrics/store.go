package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordohq/ordo/store"
)

// WatchStore adds the figures st can give (each only if st has the
// capability):
//   - ordo_instances{status}: the unfinished instances by status, and
//     ordo_instances_oldest_due_age_seconds: how long the oldest runnable
//     instance no worker holds has been due (0 when there is none), from
//     store.StatsStore. Its queries read only the index entries of
//     unfinished instances; the result is reused for Options.StoreTTL, so
//     scrapes, however frequent, cost at most one read per TTL per
//     process, and each read is bounded by Options.StoreTimeout.
//   - ordo_db_pool_*{pool}: the connection pools, from store.PoolStatser
//     (sql.DBStats of SQLite's write and read pools, pgxpool's Stat).
//
// Call it once per store.
func (m *Metrics) WatchStore(st store.Store) {
	if ss, ok := st.(store.StatsStore); ok {
		m.reg.MustRegister(&statsCollector{m: m, st: ss})
	}
	if ps, ok := st.(store.PoolStatser); ok {
		m.reg.MustRegister(&poolCollector{st: ps})
	}
}

var (
	descInstances = prometheus.NewDesc("ordo_instances",
		"Unfinished instances by status (queued, running, waiting, paused); read at most once per cache period.",
		[]string{"status"}, nil)
	descOldestDue = prometheus.NewDesc("ordo_instances_oldest_due_age_seconds",
		"How long the oldest runnable instance that no worker holds has been due; 0 when none waits.",
		nil, nil)
)

// statsCollector serves store.StatsStore's figures, cached.
type statsCollector struct {
	m  *Metrics
	st store.StatsStore

	mu     sync.Mutex
	readAt time.Time
	stats  *store.InstanceStats
}

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descInstances
	ch <- descOldestDue
}

// Collect implements prometheus.Collector: it reads the store when the
// cached figures are older than Options.StoreTTL. A failed read is logged
// and leaves the figures out of this scrape.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.m.opts.Clock.Now()
	stats := c.current(now)
	if stats == nil {
		return
	}
	for _, s := range store.UnfinishedStatuses {
		ch <- prometheus.MustNewConstMetric(descInstances, prometheus.GaugeValue, float64(stats.ByStatus[s]), string(s))
	}
	age := 0.0
	if stats.OldestDue != nil && now.After(*stats.OldestDue) {
		age = now.Sub(*stats.OldestDue).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(descOldestDue, prometheus.GaugeValue, age)
}

// current returns the cached figures, read again when stale.
func (c *statsCollector) current(now time.Time) *store.InstanceStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stats != nil && now.Sub(c.readAt) < c.m.opts.StoreTTL {
		return c.stats
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.m.opts.StoreTimeout)
	defer cancel()
	stats, err := c.st.InstanceStats(ctx, now)
	if err != nil {
		c.m.opts.Logger.Warn("ordo: metrics: read instance figures", "err", err)
		return nil
	}
	c.stats, c.readAt = stats, now
	return stats
}

var (
	descPoolMax = prometheus.NewDesc("ordo_db_pool_max_connections",
		"The connection pool's size limit.", []string{"pool"}, nil)
	descPoolOpen = prometheus.NewDesc("ordo_db_pool_open_connections",
		"Connections open now (in use and idle).", []string{"pool"}, nil)
	descPoolInUse = prometheus.NewDesc("ordo_db_pool_in_use_connections",
		"Connections handed out now.", []string{"pool"}, nil)
	descPoolIdle = prometheus.NewDesc("ordo_db_pool_idle_connections",
		"Idle connections in the pool now.", []string{"pool"}, nil)
	descPoolWaits = prometheus.NewDesc("ordo_db_pool_waits_total",
		"Acquisitions that had to wait for a connection.", []string{"pool"}, nil)
	descPoolWaitSeconds = prometheus.NewDesc("ordo_db_pool_wait_seconds_total",
		"Total time acquisitions waited for a connection.", []string{"pool"}, nil)
)

// poolCollector serves store.PoolStatser's figures (read from memory, on
// every scrape).
type poolCollector struct{ st store.PoolStatser }

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPoolMax, descPoolOpen, descPoolInUse, descPoolIdle, descPoolWaits, descPoolWaitSeconds} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.st.PoolStats() {
		gauge := func(d *prometheus.Desc, v int) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), p.Name)
		}
		gauge(descPoolMax, p.MaxConns)
		gauge(descPoolOpen, p.OpenConns)
		gauge(descPoolInUse, p.InUse)
		gauge(descPoolIdle, p.Idle)
		ch <- prometheus.MustNewConstMetric(descPoolWaits, prometheus.CounterValue, float64(p.WaitCount), p.Name)
		ch <- prometheus.MustNewConstMetric(descPoolWaitSeconds, prometheus.CounterValue, p.WaitDuration.Seconds(), p.Name)
	}
}
