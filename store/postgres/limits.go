package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.LimitStore = (*Store)(nil)

// waiterStatuses are store.LimitWaiterStatuses as a query parameter.
var waiterStatuses = func() []string {
	out := make([]string, len(store.LimitWaiterStatuses))
	for i, st := range store.LimitWaiterStatuses {
		out[i] = string(st)
	}
	return out
}()

const (
	sqlLimitRow = `INSERT INTO limits (name) VALUES ($1) ON CONFLICT DO NOTHING`
	// sqlLimitLock serializes the acquirers of one limit: each holds the
	// limit's row until its transaction ends.
	sqlLimitLock  = `SELECT 1 FROM limits WHERE name = $1 FOR UPDATE`
	sqlLimitFence = `SELECT status FROM instances WHERE id = $1 AND lease_token = $2`
	// sqlLimitHolders reads a limit's slots with what their liveness
	// depends on (store.LimitHolder).
	sqlLimitHolders = `SELECT s.instance_id, s.step_key, s.lease_token, i.status, coalesce(i.lease_token, ''),
		i.lease_expires_at, coalesce(st.status, '')
		FROM limit_slots s JOIN instances i ON i.id = s.instance_id
		LEFT JOIN steps st ON st.instance_id = s.instance_id AND st.key = s.step_key
		WHERE s.name = $1`
	sqlLimitSlotsDelete = `DELETE FROM limit_slots s USING unnest($2::text[], $3::text[]) AS d(instance_id, step_key)
		WHERE s.name = $1 AND s.instance_id = d.instance_id AND s.step_key = d.step_key`
	// sqlLimitSlotFree frees a slot acquired under a lease token ('' for
	// any).
	sqlLimitSlotFree = `DELETE FROM limit_slots WHERE name = $1 AND instance_id = $2 AND step_key = $3
		AND ($4 = '' OR lease_token = $4)`
	sqlLimitSlotUpsert = `INSERT INTO limit_slots (name, instance_id, step_key, lease_token, acquired_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name, instance_id, step_key)
		DO UPDATE SET lease_token = excluded.lease_token, acquired_at = excluded.acquired_at`
	sqlLimitGrantsPrune = `DELETE FROM limit_grants WHERE name = $1 AND at <= $2`
	sqlLimitGrants      = `SELECT at FROM limit_grants WHERE name = $1`
	sqlLimitGrantInsert = `INSERT INTO limit_grants (name, at) VALUES ($1, $2)`
	// sqlLimitWaiterUpsert records a refused step in line: a new waiter,
	// or one no longer active at $4, takes its place at $4; an active one
	// keeps it (store.DecideLimit).
	sqlLimitWaiterUpsert = `INSERT INTO limit_waiters (name, instance_id, step_key, since, active_until)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name, instance_id, step_key) DO UPDATE SET
		since = CASE WHEN limit_waiters.active_until > $4 THEN limit_waiters.since ELSE excluded.since END,
		active_until = excluded.active_until`
	sqlLimitWaiterDelete = `DELETE FROM limit_waiters WHERE name = $1 AND instance_id = $2 AND step_key = $3`
	// sqlLimitWaitersAhead counts, up to $6, the active waiters of a limit
	// at $4 (store.LimitWaitersAhead) ahead of step $3 of $2: all of them
	// unless the step holds an active place itself.
	sqlLimitWaitersAhead = `WITH me AS (SELECT since FROM limit_waiters
			WHERE name = $1 AND instance_id = $2 AND step_key = $3 AND active_until > $4)
		SELECT count(*) FROM (SELECT 1 FROM limit_waiters w JOIN instances i ON i.id = w.instance_id
			WHERE w.name = $1 AND w.active_until > $4 AND i.status = ANY($5::text[])
			AND NOT (w.instance_id = $2 AND w.step_key = $3)
			AND (w.since, w.instance_id, w.step_key) < (coalesce((SELECT since FROM me), 'infinity'), $2, $3)
			LIMIT $6) ahead`
	// sqlLimitWake makes due at $2 those of the first $4 active waiters of
	// a limit (store.LimitWake) whose instance sleeps.
	sqlLimitWake = `WITH head AS (
			SELECT w.instance_id FROM limit_waiters w JOIN instances i ON i.id = w.instance_id
			WHERE w.name = $1 AND w.active_until > $2 AND i.status = ANY($3::text[])
			ORDER BY w.since, w.instance_id, w.step_key LIMIT $4)
		UPDATE instances SET wake_at = $2, updated_at = $2 FROM head h
		WHERE instances.id = h.instance_id AND instances.status = 'waiting'
		AND (instances.wake_at IS NULL OR instances.wake_at > $2)`
)

// LimitAcquire grants a slot of p.Limit or says when to try again, in one
// transaction that holds the limit's row lock.
func (s *Store) LimitAcquire(ctx context.Context, p *store.LimitAcquireParams) (*store.LimitGrant, error) {
	if err := store.ValidateLimitAcquire(p); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var g *store.LimitGrant
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		g, err = limitAcquire(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: limit %q acquire for %q of %q: %w", p.Limit.Name, p.StepKey, p.InstanceID, err)
	}
	return g, nil
}

func limitAcquire(ctx context.Context, tx pgx.Tx, p *store.LimitAcquireParams) (*store.LimitGrant, error) {
	name := p.Limit.Name
	if _, err := tx.Exec(ctx, sqlLimitRow, name); err != nil {
		return nil, err
	}
	var one int
	if err := tx.QueryRow(ctx, sqlLimitLock, name).Scan(&one); err != nil {
		return nil, err
	}
	var status string
	if err := tx.QueryRow(ctx, sqlLimitFence, p.InstanceID, p.LeaseToken).Scan(&status); noRows(err) {
		return nil, store.ErrLeaseLost
	} else if err != nil {
		return nil, err
	}
	t := ts(now(p.Now))
	holders, err := limitHolders(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	var grants []time.Time
	if p.Limit.Rate > 0 {
		rows, _ := tx.Query(ctx, sqlLimitGrants, name)
		if grants, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
			return nil, err
		}
	}
	ahead := 0
	if c := p.Limit.Concurrency; c > 0 {
		if err := tx.QueryRow(ctx, sqlLimitWaitersAhead, name, p.InstanceID, p.StepKey, t, waiterStatuses, c).Scan(&ahead); err != nil {
			return nil, err
		}
	}
	d := store.DecideLimit(p, t, holders, ahead, grants)
	b := &pgx.Batch{}
	if len(d.Dead) > 0 {
		ids, keys := make([]string, len(d.Dead)), make([]string, len(d.Dead))
		for i, h := range d.Dead {
			ids[i], keys[i] = h.InstanceID, h.StepKey
		}
		b.Queue(sqlLimitSlotsDelete, name, ids, keys)
	}
	if p.Limit.Rate > 0 {
		b.Queue(sqlLimitGrantsPrune, name, ts(d.PruneBefore))
	}
	switch {
	case !d.Grant.Granted:
		if !d.ActiveUntil.IsZero() {
			b.Queue(sqlLimitWaiterUpsert, name, p.InstanceID, p.StepKey, t, ts(d.ActiveUntil))
		}
	default:
		b.Queue(sqlLimitWaiterDelete, name, p.InstanceID, p.StepKey)
		if d.Hold {
			b.Queue(sqlLimitSlotUpsert, name, p.InstanceID, p.StepKey, p.LeaseToken, t)
		}
		if d.Take {
			b.Queue(sqlLimitGrantInsert, name, ts(d.At))
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return &d.Grant, nil
}

func limitHolders(ctx context.Context, tx pgx.Tx, name string) ([]store.LimitHolder, error) {
	rows, _ := tx.Query(ctx, sqlLimitHolders, name)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.LimitHolder, error) {
		var h store.LimitHolder
		var status, stepStatus string
		err := row.Scan(&h.InstanceID, &h.StepKey, &h.SlotToken, &status, &h.LeaseToken, &h.LeaseExpiresAt, &stepStatus)
		h.Status, h.StepStatus = store.InstanceStatus(status), store.StepStatus(stepStatus)
		return h, err
	})
}

// LimitRelease frees the step's slot and wakes the oldest waiter that
// waits, in one transaction; a wake-up is announced to every worker.
func (s *Store) LimitRelease(ctx context.Context, p *store.LimitReleaseParams) (bool, error) {
	if err := store.ValidateLimitRelease(p); err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	woke := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, sqlLimitLock, p.Limit).Scan(&one); noRows(err) {
			return nil // never acquired: no slot, no waiter
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlLimitSlotFree, p.Limit, p.InstanceID, p.StepKey, p.LeaseToken); err != nil {
			return err
		}
		t := ts(now(p.Now))
		live := 0
		if p.Concurrency > 0 {
			holders, err := limitHolders(ctx, tx, p.Limit)
			if err != nil {
				return err
			}
			live = store.LiveHolders(holders, t)
		}
		n := store.LimitWakeCount(p.Concurrency, live)
		if n == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, sqlLimitWake, p.Limit, t, waiterStatuses, n)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		woke = true
		_, err = tx.Exec(ctx, sqlNotify, s.channel)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: limit %q release for %q of %q: %w", p.Limit, p.StepKey, p.InstanceID, err)
	}
	return woke, nil
}
