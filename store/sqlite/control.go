package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ordohq/ordo/store"
)

const (
	sqlControlStatus = `SELECT status FROM instances WHERE id = ?`
	sqlPause         = `UPDATE instances SET status = 'paused', updated_at = ? WHERE id = ? RETURNING ` + instanceCols
	sqlResume        = `UPDATE instances SET status = 'queued', updated_at = ?, wake_at = NULL,
		lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
		WHERE id = ? RETURNING ` + instanceCols
	sqlTerminate = `UPDATE instances SET status = 'terminated', updated_at = ?, finished_at = ?, wake_at = NULL,
		rollback = NULL
		WHERE id = ? RETURNING ` + instanceCols
	// Cancel and the compensation actions: queued with a rollback (the
	// lease is kept: see store.ActionCancel).
	sqlRollbackState = `SELECT status, error, rollback IS NOT NULL FROM instances WHERE id = ?`
	sqlRollback      = `UPDATE instances SET status = 'queued', updated_at = ?, wake_at = NULL, finished_at = NULL,
		rollback = ? WHERE id = ? RETURNING ` + instanceCols
	sqlCompStep   = `SELECT ` + stepCols + ` FROM steps WHERE instance_id = ? AND key = ?`
	sqlCompUpdate = `UPDATE steps SET compensation_status = ?, compensation_next_at = ?, compensation_base = ?,
		compensation_note = ? WHERE instance_id = ? AND key = ?`
	sqlRestart = `UPDATE instances SET status = 'queued', updated_at = ?, output = NULL, error = NULL,
		wake_at = NULL, custom_status = '', finished_at = NULL, rollback = NULL,
		lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
		WHERE id = ? RETURNING ` + instanceCols

	// Restart from the beginning.
	sqlUnconsumeAll   = `UPDATE events SET consumed_by = NULL WHERE instance_id = ? AND consumed_by IS NOT NULL`
	sqlDeleteAttempts = `DELETE FROM attempts WHERE instance_id = ?`
	sqlDeleteSteps    = `DELETE FROM steps WHERE instance_id = ?`

	// Restart from a step: ?1 instance, ?2 the first ordinal deleted.
	sqlFirstOrdinal     = `SELECT MIN(ordinal) FROM steps WHERE instance_id = ? AND name = ?`
	sqlKeptCompensated  = `SELECT EXISTS (SELECT 1 FROM steps WHERE instance_id = ? AND ordinal < ? AND compensation_status = 'completed')`
	sqlUnconsumeFrom    = `UPDATE events SET consumed_by = NULL WHERE instance_id = ?1 AND consumed_by IN (SELECT key FROM steps WHERE instance_id = ?1 AND ordinal >= ?2)`
	sqlDeleteAttemptsFr = `DELETE FROM attempts WHERE instance_id = ?1 AND step_key IN (SELECT key FROM steps WHERE instance_id = ?1 AND ordinal >= ?2)`
	sqlDeleteStepsFrom  = `DELETE FROM steps WHERE instance_id = ?1 AND ordinal >= ?2`
)

// InstanceControl applies an operator action atomically: pause (queued,
// running, waiting → paused; a running instance keeps its lease so its
// worker stops at the next step boundary), resume (paused → queued, lease
// cleared), terminate (any non-terminal status → terminated, lease kept so
// the worker learns it from its heartbeat) and restart (any status →
// queued; see store.ActionRestart). A forbidden action returns
// store.ErrInvalidTransition; an unknown instance, store.ErrNotFound.
func (s *Store) InstanceControl(ctx context.Context, p *store.ControlParams) (*store.Instance, error) {
	if p == nil {
		return nil, errors.New("sqlite: instance control: nil params")
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance control %q: %w", p.InstanceID, err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance control %q: %w", p.InstanceID, err)
	}
	defer w.rollback()
	in, err := w.control(p)
	if err == nil {
		err = w.insertAction(audit)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance control %q %s: %w", p.InstanceID, p.Action, err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: instance control %q %s: %w", p.InstanceID, p.Action, err)
	}
	return in, nil
}

func (w *writeTx) control(p *store.ControlParams) (*store.Instance, error) {
	var s string
	err := w.queryRow(sqlControlStatus, p.InstanceID).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	status := store.InstanceStatus(s)
	if err := store.CheckControl(p.InstanceID, p.Action, status); err != nil {
		return nil, err
	}
	t := micros(now(p.Now))
	switch p.Action {
	case store.ActionPause:
		return scanInstance(w.queryRow(sqlPause, t, p.InstanceID))
	case store.ActionResume:
		return scanInstance(w.queryRow(sqlResume, t, p.InstanceID))
	case store.ActionTerminate:
		in, err := scanInstance(w.queryRow(sqlTerminate, t, t, p.InstanceID))
		if err != nil {
			return nil, err
		}
		hooks, err := w.webhooks()
		if err != nil {
			return nil, err
		}
		return in, w.report(hooks, in.ID, in.Workflow, []store.WebhookChange{store.TerminatedChange(in.CustomStatus)}, fromMicros(t))
	case store.ActionCancel, store.ActionCompensationRetry, store.ActionCompensationDone, store.ActionCompensationSkip:
		return w.setRollback(p, t)
	}
	if err := w.truncateJournal(p, status); err != nil {
		return nil, err
	}
	return scanInstance(w.queryRow(sqlRestart, t, p.InstanceID))
}

// truncateJournal deletes the steps a restart re-runs, with their attempts,
// and un-consumes the events those steps had received.
func (w *writeTx) truncateJournal(p *store.ControlParams, status store.InstanceStatus) error {
	if p.FromStep == "" {
		for _, q := range []string{sqlUnconsumeAll, sqlDeleteAttempts, sqlDeleteSteps} {
			if _, err := w.exec(q, p.InstanceID); err != nil {
				return err
			}
		}
		return nil
	}
	var from sql.NullInt64
	if err := w.queryRow(sqlFirstOrdinal, p.InstanceID, p.FromStep).Scan(&from); err != nil {
		return err
	}
	if !from.Valid {
		return store.RestartUnknownStep(p.InstanceID, p.FromStep)
	}
	var compensated bool
	if err := w.queryRow(sqlKeptCompensated, p.InstanceID, from.Int64).Scan(&compensated); err != nil {
		return err
	}
	if compensated {
		return store.RestartCompensated(p.InstanceID, status, p.FromStep)
	}
	for _, q := range []string{sqlUnconsumeFrom, sqlDeleteAttemptsFr, sqlDeleteStepsFrom} {
		if _, err := w.exec(q, p.InstanceID, from.Int64); err != nil {
			return err
		}
	}
	return nil
}

// setRollback applies a cancel or compensation action (store.CancelRollback,
// store.CompensationAction).
func (w *writeTx) setRollback(p *store.ControlParams, t int64) (*store.Instance, error) {
	var (
		st      string
		errJSON []byte
		pending bool
	)
	if err := w.queryRow(sqlRollbackState, p.InstanceID).Scan(&st, &errJSON, &pending); err != nil {
		return nil, err
	}
	status := store.InstanceStatus(st)
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
		step, err := scanStep(w.queryRow(sqlCompStep, p.InstanceID, p.StepKey))
		if errors.Is(err, sql.ErrNoRows) {
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
		if _, err := w.exec(sqlCompUpdate, string(next.CompensationStatus), nullMicros(next.CompensationNextAt),
			next.CompensationBase, next.CompensationNote, p.InstanceID, p.StepKey); err != nil {
			return nil, err
		}
	}
	arg, err := rollbackArg(rb)
	if err != nil {
		return nil, err
	}
	return scanInstance(w.queryRow(sqlRollback, t, arg, p.InstanceID))
}
