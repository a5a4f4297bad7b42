package store

import (
	"context"
	"time"
)

// StatsStore is an optional capability of a backend: figures for metrics
// that it reads cheaply, from indexes over the unfinished instances only
// (never a scan of every instance), so a scrape can ask for them. Discover
// it with a type assertion.
type StatsStore interface {
	// InstanceStats counts the unfinished instances by status and finds
	// the oldest one that is runnable at now but not held by a worker.
	InstanceStats(ctx context.Context, now time.Time) (*InstanceStats, error)
}

// UnfinishedStatuses are the statuses InstanceStats counts.
var UnfinishedStatuses = []InstanceStatus{StatusQueued, StatusRunning, StatusWaiting, StatusPaused}

// InstanceStats are the figures of StatsStore.InstanceStats.
type InstanceStats struct {
	// ByStatus counts the instances of each of UnfinishedStatuses (every
	// one present, 0 when there is none).
	ByStatus map[InstanceStatus]int
	// OldestDue is the earliest time, among the instances runnable at now
	// that no worker holds (queued; waiting with WakeAt <= now; running
	// with an expired lease or none), at which one became due, by the rule
	// of Instance.DueAt. Nil when there is none.
	OldestDue *time.Time
}

// NewInstanceStats returns stats with every unfinished status at 0.
func NewInstanceStats() *InstanceStats {
	s := &InstanceStats{ByStatus: make(map[InstanceStatus]int, len(UnfinishedStatuses))}
	for _, st := range UnfinishedStatuses {
		s.ByStatus[st] = 0
	}
	return s
}

// NoteDue lowers OldestDue to at if at is earlier.
func (s *InstanceStats) NoteDue(at time.Time) {
	if s.OldestDue == nil || at.Before(*s.OldestDue) {
		s.OldestDue = &at
	}
}

// PoolStatser is an optional capability of a backend with connection
// pools: their figures for metrics.
type PoolStatser interface {
	// PoolStats returns the figures of each of the backend's pools.
	PoolStats() []PoolStats
}

// PoolStats are the figures of one connection pool.
type PoolStats struct {
	// Name tells the pools of a backend apart: "write" and "read" for
	// SQLite, "main" for PostgreSQL.
	Name string
	// MaxConns is the pool's size limit.
	MaxConns int
	// OpenConns are the connections open now, InUse those handed out and
	// Idle those waiting in the pool.
	OpenConns, InUse, Idle int
	// WaitCount counts the acquisitions that had to wait for a
	// connection, WaitDuration their total wait (both since the pool was
	// opened).
	WaitCount    int64
	WaitDuration time.Duration
}
