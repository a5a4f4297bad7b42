package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.PurgeStore = (*Store)(nil)

// The rule of store.PurgeParams.Matches: ?1 the finish bound, ?2 a JSON
// array of statuses, ?3 NULL or a JSON array of workflows, ?4 a JSON
// array of workflows to leave out.
const sqlPurgeWhere = ` FROM instances INDEXED BY instances_finished
	WHERE finished_at IS NOT NULL AND finished_at < ?1
	AND status IN (SELECT value FROM json_each(?2))
	AND (?3 IS NULL OR workflow IN (SELECT value FROM json_each(?3)))
	AND workflow NOT IN (SELECT value FROM json_each(?4))`

const (
	sqlPurgeList  = `SELECT id, workflow` + sqlPurgeWhere + ` ORDER BY finished_at, id LIMIT ?5`
	sqlPurgeCount = `SELECT count(*)` + sqlPurgeWhere
	// store.Deletable: ?1 a JSON array of IDs, ?2 the finish bound, ?3 a
	// JSON array of statuses.
	sqlDeletable = `SELECT id, 0, NULL FROM instances WHERE id IN (SELECT value FROM json_each(?1))
		AND finished_at IS NOT NULL AND finished_at < ?2 AND status IN (SELECT value FROM json_each(?3))`
)

// sqlDeleteTied deletes what is tied to the instances of the JSON array
// ?1, children first, the instances last (the foreign keys would cascade;
// deleting explicitly keeps the rule visible and the same as PostgreSQL's).
var sqlDeleteTied = []string{
	`DELETE FROM webhook_attempts WHERE delivery_id IN
		(SELECT id FROM webhook_deliveries WHERE instance_id IN (SELECT value FROM json_each(?1)))`,
	`DELETE FROM webhook_deliveries WHERE instance_id IN (SELECT value FROM json_each(?1))`,
	`DELETE FROM attempts WHERE instance_id IN (SELECT value FROM json_each(?1))`,
	`DELETE FROM steps WHERE instance_id IN (SELECT value FROM json_each(?1))`,
	`DELETE FROM events WHERE instance_id IN (SELECT value FROM json_each(?1))`,
	`DELETE FROM event_waits WHERE instance_id IN (SELECT value FROM json_each(?1))`,
	`DELETE FROM event_copies WHERE instance_id IN (SELECT value FROM json_each(?1))`,
	`DELETE FROM runs WHERE instance_id IN (SELECT value FROM json_each(?1))`,
	`DELETE FROM instance_attributes WHERE instance_id IN (SELECT value FROM json_each(?1))`,
	`DELETE FROM instances WHERE id IN (SELECT value FROM json_each(?1))`,
}

// PurgeLock takes the store's purge lock if it is free (a lock of this
// process: SQLite's single writer serialises the deletes of several).
func (s *Store) PurgeLock(ctx context.Context) (func(), bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("sqlite: purge lock: %w", err)
	}
	unlock, ok := s.purgeLock.TryLock()
	return unlock, ok, nil
}

// purgeArgs are the arguments of sqlPurgeWhere for p.
func purgeArgs(p *store.PurgeParams) ([]any, error) {
	statuses, err := json.Marshal(p.StatusList())
	if err != nil {
		return nil, err
	}
	var workflows any // NULL: every workflow
	if len(p.Workflows) > 0 {
		b, err := json.Marshal(p.Workflows)
		if err != nil {
			return nil, err
		}
		workflows = string(b)
	}
	except, err := json.Marshal(append([]string{}, p.ExceptWorkflows...))
	if err != nil {
		return nil, err
	}
	return []any{micros(p.FinishedBefore), string(statuses), workflows, string(except)}, nil
}

// InstancePurgeList returns up to p.Limit IDs of instances p matches,
// earliest finished first.
func (s *Store) InstancePurgeList(ctx context.Context, p *store.PurgeParams) ([]store.PurgeCandidate, error) {
	limit, err := store.ValidatePurge(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	args, err := purgeArgs(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: purge list: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, sqlPurgeList, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: purge list: %w", err)
	}
	defer rows.Close()
	out := []store.PurgeCandidate{}
	for rows.Next() {
		var c store.PurgeCandidate
		if err := rows.Scan(&c.ID, &c.Workflow); err != nil {
			return nil, fmt.Errorf("sqlite: purge list: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: purge list: %w", err)
	}
	return out, nil
}

// InstancePurgeCount counts the instances p matches.
func (s *Store) InstancePurgeCount(ctx context.Context, p *store.PurgeParams) (int64, error) {
	if _, err := store.ValidatePurge(p); err != nil {
		return 0, fmt.Errorf("sqlite: %w", err)
	}
	args, err := purgeArgs(p)
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge count: %w", err)
	}
	var n int64
	if err := s.read.QueryRowContext(ctx, sqlPurgeCount, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: purge count: %w", err)
	}
	return n, nil
}

// InstanceDelete deletes, in one write transaction, those of p.IDs that
// are still deletable, with everything tied to them.
func (s *Store) InstanceDelete(ctx context.Context, p *store.InstanceDeleteParams) ([]string, error) {
	audit, err := store.ValidateDelete(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	ids, err := json.Marshal(p.IDs)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance delete: %w", err)
	}
	statuses, err := json.Marshal(store.DeletableStatuses)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance delete: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance delete: %w", err)
	}
	defer w.rollback()
	deleted, err := w.appendIDs(nil, map[string]bool{}, map[string]time.Time{}, sqlDeletable, string(ids), micros(store.DeleteBound(p.FinishedBefore)), string(statuses))
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance delete: %w", err)
	}
	if len(deleted) == 0 {
		return []string{}, nil
	}
	gone, err := json.Marshal(deleted)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance delete: %w", err)
	}
	for _, q := range sqlDeleteTied {
		if _, err := w.exec(q, string(gone)); err != nil {
			return nil, fmt.Errorf("sqlite: instance delete: %w", err)
		}
	}
	if err := w.insertAction(store.PurgeAudit(audit, deleted)); err != nil {
		return nil, fmt.Errorf("sqlite: instance delete: %w", err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: instance delete: %w", err)
	}
	return deleted, nil
}
