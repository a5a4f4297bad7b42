package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// The queries of InstanceStats read only the index entries of unfinished
// instances: the count walks instances_status over the four unfinished
// statuses; the oldest due reads the first due timer of instances_wake,
// the expired leases of instances_lease and the queued rows.
const (
	sqlStatsCounts = `SELECT status, count(*) FROM instances INDEXED BY instances_status
		WHERE status IN ('queued', 'running', 'waiting', 'paused') GROUP BY status`
	sqlStatsDue = `SELECT
		(SELECT min(updated_at) FROM instances INDEXED BY instances_status WHERE status = 'queued'),
		(SELECT min(wake_at) FROM instances INDEXED BY instances_wake WHERE status = 'waiting' AND wake_at <= ?1),
		(SELECT min(coalesce(lease_expires_at, updated_at)) FROM instances INDEXED BY instances_lease
			WHERE status = 'running' AND coalesce(lease_expires_at, 0) <= ?1)`
)

var _ store.StatsStore = (*Store)(nil)

// InstanceStats counts the unfinished instances by status and finds the
// oldest runnable one no worker holds (see store.StatsStore).
func (s *Store) InstanceStats(ctx context.Context, now time.Time) (*store.InstanceStats, error) {
	out := store.NewInstanceStats()
	rows, err := s.read.QueryContext(ctx, sqlStatsCounts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status string
			n      int
		)
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("sqlite: instance stats: %w", err)
		}
		out.ByStatus[store.InstanceStatus(status)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: instance stats: %w", err)
	}
	var due [3]sql.NullInt64
	if err := s.read.QueryRowContext(ctx, sqlStatsDue, micros(now)).Scan(&due[0], &due[1], &due[2]); err != nil {
		return nil, fmt.Errorf("sqlite: instance stats: %w", err)
	}
	for _, d := range due {
		if d.Valid {
			out.NoteDue(fromMicros(d.Int64))
		}
	}
	return out, nil
}

var _ store.PoolStatser = (*Store)(nil)

// PoolStats returns the figures of the write connection ("write") and of
// the read pool ("read").
func (s *Store) PoolStats() []store.PoolStats {
	return []store.PoolStats{poolStats("write", s.write.Stats()), poolStats("read", s.read.Stats())}
}

func poolStats(name string, st sql.DBStats) store.PoolStats {
	return store.PoolStats{Name: name, MaxConns: st.MaxOpenConnections, OpenConns: st.OpenConnections,
		InUse: st.InUse, Idle: st.Idle, WaitCount: st.WaitCount, WaitDuration: st.WaitDuration}
}
