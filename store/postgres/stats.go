package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// The queries of InstanceStats read only the index entries of unfinished
// instances: the count walks instances_status over the four unfinished
// statuses; the oldest due reads the first due timer of instances_wake,
// the expired leases of instances_lease and the queued rows.
const (
	sqlStatsCounts = `SELECT status, count(*) FROM instances
		WHERE status IN ('queued', 'running', 'waiting', 'paused') GROUP BY status`
	sqlStatsDue = `SELECT
		(SELECT min(updated_at) FROM instances WHERE status = 'queued'),
		(SELECT min(wake_at) FROM instances WHERE status = 'waiting' AND wake_at <= $1),
		(SELECT min(coalesce(lease_expires_at, updated_at)) FROM instances
			WHERE status = 'running' AND coalesce(lease_expires_at, '-infinity'::timestamptz) <= $1)`
)

var _ store.StatsStore = (*Store)(nil)

// InstanceStats counts the unfinished instances by status and finds the
// oldest runnable one no worker holds (see store.StatsStore).
func (s *Store) InstanceStats(ctx context.Context, now time.Time) (*store.InstanceStats, error) {
	out := store.NewInstanceStats()
	rows, err := s.pool.Query(ctx, sqlStatsCounts)
	if err != nil {
		return nil, fmt.Errorf("postgres: instance stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status string
			n      int
		)
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("postgres: instance stats: %w", err)
		}
		out.ByStatus[store.InstanceStatus(status)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: instance stats: %w", err)
	}
	var due [3]*time.Time
	if err := s.pool.QueryRow(ctx, sqlStatsDue, ts(now)).Scan(&due[0], &due[1], &due[2]); err != nil {
		return nil, fmt.Errorf("postgres: instance stats: %w", err)
	}
	for _, d := range due {
		if d != nil {
			out.NoteDue(d.UTC())
		}
	}
	return out, nil
}

var _ store.PoolStatser = (*Store)(nil)

// PoolStats returns the figures of the pgx pool ("main"). A wait is an
// acquisition that found the pool empty.
func (s *Store) PoolStats() []store.PoolStats {
	st := s.pool.Stat()
	return []store.PoolStats{{Name: "main", MaxConns: int(st.MaxConns()), OpenConns: int(st.TotalConns()),
		InUse: int(st.AcquiredConns()), Idle: int(st.IdleConns()),
		WaitCount: st.EmptyAcquireCount(), WaitDuration: st.EmptyAcquireWaitTime()}}
}
