package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var (
	sqlControlLock = `SELECT status FROM instances WHERE id = $1 FOR NO KEY UPDATE`
	sqlPause       = `UPDATE instances SET status = 'paused', updated_at = $1 WHERE id = $2 RETURNING ` + instanceCols
	sqlResume      = `UPDATE instances SET status = 'queued', updated_at = $1, wake_at = NULL,
		lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
		WHERE id = $2 RETURNING ` + instanceCols
	sqlTerminate = `UPDATE instances SET status = 'terminated', updated_at = $1, finished_at = $1, wake_at = NULL,
		rollback = NULL
		WHERE id = $2 RETURNING ` + instanceCols
	// Cancel and the compensation actions: queued with a rollback (the
	// lease is kept: see store.ActionCancel).
	sqlRollbackState = `SELECT error, rollback IS NOT NULL FROM instances WHERE id = $1`
	sqlRollback      = `UPDATE instances SET status = 'queued', updated_at = $1, wake_at = NULL, finished_at = NULL,
		rollback = $3 WHERE id = $2 RETURNING ` + instanceCols
	sqlCompStep   = `SELECT ` + stepColumns + ` FROM steps WHERE instance_id = $1 AND key = $2`
	sqlCompUpdate = `UPDATE steps SET compensation_status = $3, compensation_next_at = $4, compensation_base = $5,
		compensation_note = $6 WHERE instance_id = $1 AND key = $2`
	sqlRestart = `UPDATE instances SET status = 'queued', updated_at = $2, output = NULL, error = NULL,
		wake_at = NULL, custom_status = $3, finished_at = NULL, rollback = NULL,
		lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
		params = CASE WHEN $4::boolean THEN $5::bytea ELSE params END, run = $6,
		version = CASE WHEN $7::boolean THEN version ELSE '' END
		WHERE id = $1 RETURNING ` + instanceCols
)

const (
	// Restart (store.PlanRestart decides what): $1 instance, $2 step keys.
	sqlRestartInstance = `SELECT ` + instanceCols + ` FROM instances WHERE id = $1`
	sqlRunStarted      = `SELECT ended_at FROM runs WHERE instance_id = $1 ORDER BY run DESC LIMIT 1`
	sqlRunInsert       = `INSERT INTO runs (instance_id, run, ended_at, record) VALUES ($1, $2, $3, $4)`
	sqlUnconsumeSteps  = `UPDATE events SET consumed_by = NULL WHERE instance_id = $1 AND consumed_by = ANY ($2::text[])`
	sqlDeleteAttempts  = `DELETE FROM attempts WHERE instance_id = $1 AND step_key = ANY ($2::text[])`
	sqlDeleteSteps     = `DELETE FROM steps WHERE instance_id = $1 AND key = ANY ($2::text[])`
	sqlResetComp       = `UPDATE steps SET compensation_status = '', compensation_error = NULL,
		compensation_attempts = 0, compensation_next_at = NULL, compensation_base = 0
		WHERE instance_id = $1 AND key = ANY ($2::text[])`

	sqlRunsExist = `SELECT EXISTS (SELECT 1 FROM instances WHERE id = $1)`
	sqlRuns      = `SELECT record FROM runs WHERE instance_id = $1 ORDER BY run`
)

// InstanceControl applies an operator action atomically, in a transaction
// holding the instance's row lock: pause (queued, running, waiting →
// paused; a running instance keeps its lease so its worker stops at the
// next step boundary), resume (paused → queued, lease cleared), terminate
// (any non-terminal status → terminated, lease kept so the worker learns
// it from its heartbeat) and restart (any status → queued; see
// store.ActionRestart). A terminate or cancel applies the children's
// policies in its transaction (store.CloseChildren). Resume and restart
// notify the idle workers of every process. A forbidden action returns
// store.ErrInvalidTransition; an unknown instance, store.ErrNotFound.
func (s *Store) InstanceControl(ctx context.Context, p *store.ControlParams) (*store.Instance, error) {
	if p == nil {
		return nil, errors.New("postgres: instance control: nil params")
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, fmt.Errorf("postgres: instance control %q: %w", p.InstanceID, err)
	}
	s.prefetch.drop(p.InstanceID)
	var in *store.Instance
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if in, err = s.control(ctx, tx, p); err != nil {
			return err
		}
		return insertAction(ctx, tx, audit)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: instance control %q %s: %w", p.InstanceID, p.Action, err)
	}
	return in, nil
}

func (s *Store) control(ctx context.Context, tx pgx.Tx, p *store.ControlParams) (*store.Instance, error) {
	var st string
	err := tx.QueryRow(ctx, sqlControlLock, p.InstanceID).Scan(&st)
	if noRows(err) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	status := store.InstanceStatus(st)
	if err := store.CheckAction(p, status); err != nil {
		return nil, err
	}
	t := ts(now(p.Now))
	switch p.Action {
	case store.ActionPause:
		return scanInstance(tx.QueryRow(ctx, sqlPause, t, p.InstanceID))
	case store.ActionResume:
		if _, err := tx.Exec(ctx, sqlNotify, s.channel); err != nil {
			return nil, err
		}
		return scanInstance(tx.QueryRow(ctx, sqlResume, t, p.InstanceID))
	case store.ActionTerminate:
		in, err := scanInstance(tx.QueryRow(ctx, sqlTerminate, t, p.InstanceID))
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, sqlHookTerminated, p.InstanceID, t, store.WebhookRetryPeriod.Microseconds()); err != nil {
			return nil, fmt.Errorf("webhook outbox: %w", err)
		}
		if err := s.notifyTx(ctx, tx, p.InstanceID, t, p.Notify); err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		return in, s.closeChildren(ctx, tx, p)
	case store.ActionCancel, store.ActionCompensationRetry, store.ActionCompensationDone, store.ActionCompensationSkip:
		if _, err := tx.Exec(ctx, sqlNotify, s.channel); err != nil {
			return nil, err
		}
		in, err := setRollback(ctx, tx, p, status, t)
		if err != nil || p.Action != store.ActionCancel {
			return in, err
		}
		return in, s.closeChildren(ctx, tx, p)
	}
	if _, err := tx.Exec(ctx, sqlNotify, s.channel); err != nil {
		return nil, err
	}
	return restart(ctx, tx, p, t)
}

// restart applies store.PlanRestart: the ended run is recorded, the steps
// it re-runs leave the journal with their attempts (their events become
// unconsumed), and the instance is queued for the next run.
func restart(ctx context.Context, tx pgx.Tx, p *store.ControlParams, t time.Time) (*store.Instance, error) {
	in, err := scanInstance(tx.QueryRow(ctx, sqlRestartInstance, p.InstanceID))
	if err != nil {
		return nil, err
	}
	journals := map[string]*store.Journal{p.InstanceID: {}}
	b := &pgx.Batch{}
	queueJournals(b, journals, p.InstanceID, p.InstanceID)
	var started time.Time
	b.Queue(sqlRunStarted, p.InstanceID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&started); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	q := *p
	q.Now = t
	plan, err := store.PlanRestart(in, journals[p.InstanceID].Steps, &q, started.UTC())
	if err != nil {
		return nil, err
	}
	record, err := store.EncodeRun(plan.Run)
	if err != nil {
		return nil, err
	}
	b = &pgx.Batch{}
	b.Queue(sqlRunInsert, p.InstanceID, plan.Run.Number, t, record)
	if len(plan.Archive) > 0 {
		for _, q := range []string{sqlUnconsumeSteps, sqlDeleteAttempts, sqlDeleteSteps} {
			b.Queue(q, p.InstanceID, plan.Archive)
		}
	}
	if len(plan.ResetCompensation) > 0 {
		b.Queue(sqlResetComp, p.InstanceID, plan.ResetCompensation)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return scanInstance(tx.QueryRow(ctx, sqlRestart, p.InstanceID, t, plan.CustomStatus,
		plan.Params != nil, rawArg(plan.Params), plan.Run.Number+1, plan.KeepVersion))
}

// InstanceRuns returns the ended runs of an instance, oldest first, read
// in one snapshot.
func (s *Store) InstanceRuns(ctx context.Context, id string) ([]*store.Run, error) {
	exists := false
	runs := []*store.Run{}
	b := &pgx.Batch{}
	b.Queue(sqlSnapshotBegin)
	b.Queue(sqlRunsExist, id).QueryRow(func(row pgx.Row) error { return row.Scan(&exists) })
	b.Queue(sqlRuns, id).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var record []byte
			if err := rows.Scan(&record); err != nil {
				return err
			}
			r, err := store.DecodeRun(id, record)
			if err != nil {
				return err
			}
			runs = append(runs, r)
		}
		return rows.Err()
	})
	b.Queue(sqlSnapshotEnd)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("postgres: instance runs %q: %w", id, err)
	}
	if !exists {
		return nil, fmt.Errorf("postgres: instance runs %q: %w", id, store.ErrNotFound)
	}
	return runs, nil
}

// setRollback applies a cancel or compensation action (store.CancelRollback,
// store.CompensationAction) to the locked instance in status.
func setRollback(ctx context.Context, tx pgx.Tx, p *store.ControlParams, status store.InstanceStatus, t time.Time) (*store.Instance, error) {
	var (
		errJSON *string
		pending bool
	)
	if err := tx.QueryRow(ctx, sqlRollbackState, p.InstanceID).Scan(&errJSON, &pending); err != nil {
		return nil, err
	}
	var rb *store.Rollback
	if p.Action == store.ActionCancel {
		var err error
		if rb, err = store.CancelRollback(p, status, pending); err != nil {
			return nil, err
		}
	} else {
		instErr, err := errorValue(errJSON)
		if err != nil {
			return nil, err
		}
		var id string
		step, err := scanStep(tx.QueryRow(ctx, sqlCompStep, p.InstanceID, p.StepKey), &id)
		if noRows(err) {
			step, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		next, r, err := store.CompensationAction(p, status, instErr, step)
		if err != nil {
			return nil, err
		}
		rb = r
		if _, err := tx.Exec(ctx, sqlCompUpdate, p.InstanceID, p.StepKey, string(next.CompensationStatus), tsPtr(next.CompensationNextAt),
			next.CompensationBase, next.CompensationNote); err != nil {
			return nil, err
		}
	}
	arg, err := rollbackArg(rb)
	if err != nil {
		return nil, err
	}
	return scanInstance(tx.QueryRow(ctx, sqlRollback, t, p.InstanceID, arg))
}
