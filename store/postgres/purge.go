package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.PurgeStore = (*Store)(nil)

// The rule of store.PurgeParams.Matches: $1 the finish bound, $2 the
// statuses, $3 NULL or the workflows, $4 the workflows to leave out.
const sqlPurgeWhere = ` FROM instances
	WHERE finished_at IS NOT NULL AND finished_at < $1 AND status = ANY ($2::text[])
	AND ($3::text[] IS NULL OR workflow = ANY ($3::text[])) AND workflow <> ALL ($4::text[])`

const (
	sqlPurgeList  = `SELECT id, workflow` + sqlPurgeWhere + ` ORDER BY finished_at, id LIMIT $5`
	sqlPurgeCount = `SELECT count(*)` + sqlPurgeWhere
	// store.Deletable, locking the rows: $1 IDs, $2 the finish bound, $3
	// the statuses.
	sqlDeletable = `SELECT id FROM instances WHERE id = ANY ($1::text[])
		AND finished_at IS NOT NULL AND finished_at < $2 AND status = ANY ($3::text[]) FOR UPDATE`
	// The purge lock: a session advisory lock of the schema, held by one
	// connection for as long as its holder purges.
	sqlPurgeLock   = `SELECT pg_try_advisory_lock(hashtextextended('ordo.purge.' || $1, 0))`
	sqlPurgeUnlock = `SELECT pg_advisory_unlock(hashtextextended('ordo.purge.' || $1, 0))`
)

// sqlDeleteTied deletes what is tied to the instances $1, children first,
// the instances last (only instance_attributes has a foreign key).
var sqlDeleteTied = []string{
	`DELETE FROM webhook_attempts WHERE delivery_id IN
		(SELECT id FROM webhook_deliveries WHERE instance_id = ANY ($1::text[]))`,
	`DELETE FROM webhook_deliveries WHERE instance_id = ANY ($1::text[])`,
	`DELETE FROM attempts WHERE instance_id = ANY ($1::text[])`,
	`DELETE FROM steps WHERE instance_id = ANY ($1::text[])`,
	`DELETE FROM events WHERE instance_id = ANY ($1::text[])`,
	`DELETE FROM event_waits WHERE instance_id = ANY ($1::text[])`,
	`DELETE FROM event_copies WHERE instance_id = ANY ($1::text[])`,
	`DELETE FROM runs WHERE instance_id = ANY ($1::text[])`,
	`DELETE FROM instance_attributes WHERE instance_id = ANY ($1::text[])`,
	`DELETE FROM instances WHERE id = ANY ($1::text[])`,
}

// unlockTimeout bounds the release of the purge lock.
const unlockTimeout = 5 * time.Second

// PurgeLock takes the schema's purge lock, a session advisory lock shared
// by every process on the schema, if it is free. The lock holds one pool
// connection until unlock; a holder that dies releases it with its
// connection.
func (s *Store) PurgeLock(ctx context.Context) (func(), bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: purge lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, sqlPurgeLock, s.schema).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("postgres: purge lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			if _, err := conn.Exec(ctx, sqlPurgeUnlock, s.schema); err != nil {
				// The session would keep the lock: end it.
				s.log.Warn("postgres: purge unlock failed; closing its connection", "err", err)
				_ = conn.Conn().Close(ctx)
			}
			conn.Release()
		})
	}, true, nil
}

// purgeArgs are the arguments of sqlPurgeWhere for p.
func purgeArgs(p *store.PurgeParams) []any {
	var workflows []string // NULL: every workflow
	if len(p.Workflows) > 0 {
		workflows = p.Workflows
	}
	return []any{ts(p.FinishedBefore), statusStrings(p.StatusList()), workflows, append([]string{}, p.ExceptWorkflows...)}
}

func statusStrings(ss []store.InstanceStatus) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// InstancePurgeList returns up to p.Limit IDs of instances p matches,
// earliest finished first.
func (s *Store) InstancePurgeList(ctx context.Context, p *store.PurgeParams) ([]store.PurgeCandidate, error) {
	limit, err := store.ValidatePurge(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	rows, err := s.pool.Query(ctx, sqlPurgeList, append(purgeArgs(p), limit)...)
	if err != nil {
		return nil, fmt.Errorf("postgres: purge list: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.PurgeCandidate, error) {
		var c store.PurgeCandidate
		err := r.Scan(&c.ID, &c.Workflow)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: purge list: %w", err)
	}
	if out == nil {
		out = []store.PurgeCandidate{}
	}
	return out, nil
}

// InstancePurgeCount counts the instances p matches.
func (s *Store) InstancePurgeCount(ctx context.Context, p *store.PurgeParams) (int64, error) {
	if _, err := store.ValidatePurge(p); err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
	}
	var n int64
	if err := s.pool.QueryRow(ctx, sqlPurgeCount, purgeArgs(p)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: purge count: %w", err)
	}
	return n, nil
}

// InstanceDelete deletes, in one transaction holding the rows' locks,
// those of p.IDs that are still deletable, with everything tied to them.
func (s *Store) InstanceDelete(ctx context.Context, p *store.InstanceDeleteParams) ([]string, error) {
	audit, err := store.ValidateDelete(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	deleted := []string{}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlDeletable, p.IDs, ts(store.DeleteBound(p.FinishedBefore)),
			statusStrings(store.DeletableStatuses))
		if err != nil {
			return err
		}
		if deleted, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || len(deleted) == 0 {
			return err
		}
		for _, q := range sqlDeleteTied {
			if _, err := tx.Exec(ctx, q, deleted); err != nil {
				return err
			}
		}
		return insertAction(ctx, tx, store.PurgeAudit(audit, deleted))
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: instance delete: %w", err)
	}
	for _, id := range deleted {
		s.prefetch.drop(id)
	}
	if deleted == nil {
		deleted = []string{}
	}
	return deleted, nil
}
