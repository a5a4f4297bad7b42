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
	sqlRestart = `UPDATE instances SET status = 'queued', updated_at = $1, output = NULL, error = NULL,
		wake_at = NULL, custom_status = '', finished_at = NULL, rollback = NULL,
		lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
		WHERE id = $2 RETURNING ` + instanceCols
)

const (
	// Restart from the beginning.
	sqlUnconsumeAll   = `UPDATE events SET consumed_by = NULL WHERE instance_id = $1 AND consumed_by IS NOT NULL`
	sqlDeleteAttempts = `DELETE FROM attempts WHERE instance_id = $1`
	sqlDeleteSteps    = `DELETE FROM steps WHERE instance_id = $1`

	// Restart from a step: $1 instance, $2 the first ordinal deleted.
	sqlFirstOrdinal     = `SELECT min(ordinal) FROM steps WHERE instance_id = $1 AND name = $2`
	sqlKeptCompensated  = `SELECT EXISTS (SELECT 1 FROM steps WHERE instance_id = $1 AND ordinal < $2 AND compensation_status = 'completed')`
	sqlUnconsumeFrom    = `UPDATE events SET consumed_by = NULL WHERE instance_id = $1 AND consumed_by IN (SELECT key FROM steps WHERE instance_id = $1 AND ordinal >= $2)`
	sqlDeleteAttemptsFr = `DELETE FROM attempts WHERE instance_id = $1 AND step_key IN (SELECT key FROM steps WHERE instance_id = $1 AND ordinal >= $2)`
	sqlDeleteStepsFrom  = `DELETE FROM steps WHERE instance_id = $1 AND ordinal >= $2`
)

// InstanceControl applies an operator action atomically, in a transaction
// holding the instance's row lock: pause (queued, running, waiting →
// paused; a running instance keeps its lease so its worker stops at the
// next step boundary), resume (paused → queued, lease cleared), terminate
// (any non-terminal status → terminated, lease kept so the worker learns
// it from its heartbeat) and restart (any status → queued; see
// store.ActionRestart). Resume and restart notify the idle workers of
// every process. A forbidden action returns store.ErrInvalidTransition; an
// unknown instance, store.ErrNotFound.
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
	if err := store.CheckControl(p.InstanceID, p.Action, status); err != nil {
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
		return in, nil
	case store.ActionCancel, store.ActionCompensationRetry, store.ActionCompensationDone, store.ActionCompensationSkip:
		if _, err := tx.Exec(ctx, sqlNotify, s.channel); err != nil {
			return nil, err
		}
		return setRollback(ctx, tx, p, status, t)
	}
	if err := truncateJournal(ctx, tx, p, status); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, sqlNotify, s.channel); err != nil {
		return nil, err
	}
	return scanInstance(tx.QueryRow(ctx, sqlRestart, t, p.InstanceID))
}

// truncateJournal deletes the steps a restart re-runs, with their attempts,
// and un-consumes the events those steps had received.
func truncateJournal(ctx context.Context, tx pgx.Tx, p *store.ControlParams, status store.InstanceStatus) error {
	if p.FromStep == "" {
		for _, q := range []string{sqlUnconsumeAll, sqlDeleteAttempts, sqlDeleteSteps} {
			if _, err := tx.Exec(ctx, q, p.InstanceID); err != nil {
				return err
			}
		}
		return nil
	}
	var from *int32
	if err := tx.QueryRow(ctx, sqlFirstOrdinal, p.InstanceID, p.FromStep).Scan(&from); err != nil {
		return err
	}
	if from == nil {
		return store.RestartUnknownStep(p.InstanceID, p.FromStep)
	}
	var compensated bool
	if err := tx.QueryRow(ctx, sqlKeptCompensated, p.InstanceID, *from).Scan(&compensated); err != nil {
		return err
	}
	if compensated {
		return store.RestartCompensated(p.InstanceID, status, p.FromStep)
	}
	for _, q := range []string{sqlUnconsumeFrom, sqlDeleteAttemptsFr, sqlDeleteStepsFrom} {
		if _, err := tx.Exec(ctx, q, p.InstanceID, *from); err != nil {
			return err
		}
	}
	return nil
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
