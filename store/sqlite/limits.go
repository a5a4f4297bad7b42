package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.LimitStore = (*Store)(nil)

const (
	// sqlLimitHolders reads a limit's slots with what their liveness
	// depends on (store.LimitHolder).
	sqlLimitHolders = `SELECT s.instance_id, s.step_key, s.lease_token, i.status, coalesce(i.lease_token, ''),
		i.lease_expires_at, coalesce(st.status, '')
		FROM limit_slots s JOIN instances i ON i.id = s.instance_id
		LEFT JOIN steps st ON st.instance_id = s.instance_id AND st.key = s.step_key
		WHERE s.name = ?`
	sqlLimitSlotDelete = `DELETE FROM limit_slots WHERE name = ? AND instance_id = ? AND step_key = ?`
	// sqlLimitSlotFree frees a slot acquired under a lease token ('' for
	// any).
	sqlLimitSlotFree = `DELETE FROM limit_slots WHERE name = ?1 AND instance_id = ?2 AND step_key = ?3
		AND (?4 = '' OR lease_token = ?4)`
	sqlLimitSlotUpsert = `INSERT INTO limit_slots (name, instance_id, step_key, lease_token, acquired_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, instance_id, step_key)
		DO UPDATE SET lease_token = excluded.lease_token, acquired_at = excluded.acquired_at`
	sqlLimitGrantsPrune = `DELETE FROM limit_grants WHERE name = ? AND at <= ?`
	sqlLimitGrants      = `SELECT at FROM limit_grants WHERE name = ?`
	sqlLimitGrantInsert = `INSERT INTO limit_grants (name, at) VALUES (?, ?)`
	// sqlLimitWaiterUpsert records a refused step in line: a new waiter,
	// or one no longer active at ?4, takes its place at ?4; an active one
	// keeps it (store.DecideLimit).
	sqlLimitWaiterUpsert = `INSERT INTO limit_waiters (name, instance_id, step_key, since, active_until)
		VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name, instance_id, step_key) DO UPDATE SET
		since = CASE WHEN limit_waiters.active_until > ?4 THEN limit_waiters.since ELSE excluded.since END,
		active_until = excluded.active_until`
	sqlLimitWaiterDelete = `DELETE FROM limit_waiters WHERE name = ? AND instance_id = ? AND step_key = ?`
)

// waiterStatusList is store.LimitWaiterStatuses as an SQL list.
var waiterStatusList = func() string {
	q := make([]string, len(store.LimitWaiterStatuses))
	for i, st := range store.LimitWaiterStatuses {
		q[i] = "'" + string(st) + "'"
	}
	return strings.Join(q, ", ")
}()

var (
	// sqlLimitWaitersAhead counts, up to ?5, the active waiters of a limit
	// at ?4 (store.LimitWaitersAhead) ahead of step ?3 of ?2: all of them
	// unless the step holds an active place itself.
	sqlLimitWaitersAhead = `SELECT count(*) FROM (SELECT 1 FROM limit_waiters w JOIN instances i ON i.id = w.instance_id
		WHERE w.name = ?1 AND w.active_until > ?4 AND i.status IN (` + waiterStatusList + `)
		AND NOT (w.instance_id = ?2 AND w.step_key = ?3)
		AND (w.since, w.instance_id, w.step_key) < (coalesce((SELECT since FROM limit_waiters
			WHERE name = ?1 AND instance_id = ?2 AND step_key = ?3 AND active_until > ?4), 9223372036854775807), ?2, ?3)
		LIMIT ?5)`
	// sqlLimitWake makes due at ?2 those of the first ?3 active waiters of
	// a limit (store.LimitWake) whose instance sleeps.
	sqlLimitWake = `UPDATE instances SET wake_at = ?2, updated_at = ?2
		WHERE status = 'waiting' AND (wake_at IS NULL OR wake_at > ?2) AND id IN (
			SELECT w.instance_id FROM limit_waiters w JOIN instances i ON i.id = w.instance_id
			WHERE w.name = ?1 AND w.active_until > ?2 AND i.status IN (` + waiterStatusList + `)
			ORDER BY w.since, w.instance_id, w.step_key LIMIT ?3)`
)

// LimitAcquire grants a slot of p.Limit or says when to try again, in one
// write transaction.
func (s *Store) LimitAcquire(ctx context.Context, p *store.LimitAcquireParams) (*store.LimitGrant, error) {
	if err := store.ValidateLimitAcquire(p); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: limit acquire: %w", err)
	}
	defer w.rollback()
	g, err := w.limitAcquire(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: limit %q acquire for %q of %q: %w", p.Limit.Name, p.StepKey, p.InstanceID, err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: limit acquire: %w", err)
	}
	return g, nil
}

func (w *writeTx) limitAcquire(p *store.LimitAcquireParams) (*store.LimitGrant, error) {
	var status string
	if err := w.queryRow(sqlFence, p.InstanceID, p.LeaseToken).Scan(&status); errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrLeaseLost
	} else if err != nil {
		return nil, err
	}
	t := now(p.Now)
	holders, err := w.limitHolders(p.Limit.Name)
	if err != nil {
		return nil, err
	}
	var grants []time.Time
	if p.Limit.Rate > 0 {
		if grants, err = w.limitGrants(p.Limit.Name); err != nil {
			return nil, err
		}
	}
	ahead := 0
	if c := p.Limit.Concurrency; c > 0 {
		if err := w.queryRow(sqlLimitWaitersAhead, p.Limit.Name, p.InstanceID, p.StepKey, micros(t), c).Scan(&ahead); err != nil {
			return nil, err
		}
	}
	d := store.DecideLimit(p, t, holders, ahead, grants)
	for _, h := range d.Dead {
		if _, err := w.exec(sqlLimitSlotDelete, p.Limit.Name, h.InstanceID, h.StepKey); err != nil {
			return nil, err
		}
	}
	if p.Limit.Rate > 0 {
		if _, err := w.exec(sqlLimitGrantsPrune, p.Limit.Name, micros(d.PruneBefore)); err != nil {
			return nil, err
		}
	}
	if !d.Grant.Granted {
		if d.ActiveUntil.IsZero() {
			return &d.Grant, nil
		}
		_, err := w.exec(sqlLimitWaiterUpsert, p.Limit.Name, p.InstanceID, p.StepKey, micros(t), micros(d.ActiveUntil))
		return &d.Grant, err
	}
	if _, err := w.exec(sqlLimitWaiterDelete, p.Limit.Name, p.InstanceID, p.StepKey); err != nil {
		return nil, err
	}
	if d.Hold {
		if _, err := w.exec(sqlLimitSlotUpsert, p.Limit.Name, p.InstanceID, p.StepKey, p.LeaseToken, micros(t)); err != nil {
			return nil, err
		}
	}
	if d.Take {
		if _, err := w.exec(sqlLimitGrantInsert, p.Limit.Name, micros(d.At)); err != nil {
			return nil, err
		}
	}
	return &d.Grant, nil
}

func (w *writeTx) limitHolders(name string) ([]store.LimitHolder, error) {
	rows, err := w.query(sqlLimitHolders, name)
	if err != nil {
		return nil, err
	}
	var out []store.LimitHolder
	for rows.Next() {
		var h store.LimitHolder
		var status, stepStatus string
		var expires sql.NullInt64
		if err := rows.Scan(&h.InstanceID, &h.StepKey, &h.SlotToken, &status, &h.LeaseToken, &expires, &stepStatus); err != nil {
			rows.Close()
			return nil, err
		}
		h.Status, h.StepStatus, h.LeaseExpiresAt = store.InstanceStatus(status), store.StepStatus(stepStatus), timePtr(expires)
		out = append(out, h)
	}
	return out, closeRows(rows)
}

func (w *writeTx) limitGrants(name string) ([]time.Time, error) {
	rows, err := w.query(sqlLimitGrants, name)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, fromMicros(v))
	}
	return out, closeRows(rows)
}

// LimitRelease frees the step's slot and wakes the oldest waiter that
// waits, in one write transaction.
func (s *Store) LimitRelease(ctx context.Context, p *store.LimitReleaseParams) (bool, error) {
	if err := store.ValidateLimitRelease(p); err != nil {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("sqlite: limit release: %w", err)
	}
	defer w.rollback()
	woke, err := w.limitRelease(p)
	if err != nil {
		return false, fmt.Errorf("sqlite: limit %q release for %q of %q: %w", p.Limit, p.StepKey, p.InstanceID, err)
	}
	if err := w.commit(); err != nil {
		return false, fmt.Errorf("sqlite: limit release: %w", err)
	}
	return woke, nil
}

func (w *writeTx) limitRelease(p *store.LimitReleaseParams) (bool, error) {
	if _, err := w.exec(sqlLimitSlotFree, p.Limit, p.InstanceID, p.StepKey, p.LeaseToken); err != nil {
		return false, err
	}
	t := now(p.Now)
	live := 0
	if p.Concurrency > 0 {
		holders, err := w.limitHolders(p.Limit)
		if err != nil {
			return false, err
		}
		live = store.LiveHolders(holders, t)
	}
	n := store.LimitWakeCount(p.Concurrency, live)
	if n == 0 {
		return false, nil
	}
	res, err := w.exec(sqlLimitWake, p.Limit, micros(t), n)
	if err != nil {
		return false, err
	}
	woke, err := res.RowsAffected()
	return woke > 0, err
}
